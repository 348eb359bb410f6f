/** The client checks in a browser page: bundled with the installed client by esbuild. */
import { runClientChecks, type CheckResult, type ClientChecksConfig } from './client-checks.js';

declare global {
  interface Window {
    runClientChecks: (config: ClientChecksConfig) => Promise<CheckResult[]>;
  }
}

window.runClientChecks = runClientChecks;
