#!/usr/bin/env node
/** The server process: configuration from the environment, signals, one-line fatal errors. */
import { ConfigError, loadConfig } from './config.js';
import type { RunningServer } from './server.js';
import { onShutdownSignals } from './shutdown-signals.js';

/** Exit code for a configuration error, as the CLI uses. */
const EXIT_CONFIG = 2;

export async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`vtrans: ${err.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw err;
  }
  let server: RunningServer;
  try {
    // Loaded only once the configuration is good: the app takes seconds to import on a busy
    // machine, and a bad value should be reported at once.
    const { startServer } = await import('./server.js');
    // The start-up line (and, at the end, the shutdown line) comes from startServer; an operator
    // logging at warn sees both.
    server = await startServer({ ...config, announceAtWarn: true });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`vtrans: could not start the server: ${message}\n`);
    process.exit(1);
  }
  onShutdownSignals({
    // close() writes the last line: "stopped cleanly in N ms", or why not.
    stop: () => {
      server.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    },
    // A second signal while shutting down exits at once.
    again: (signal) => {
      process.stderr.write(`vtrans: ${signal} again, exiting now\n`);
      process.exit(1);
    },
  });
}

await main();
