/**
 * The client checks as a program for Node, Bun and Deno: the configuration comes base64-encoded as
 * the first argument, the results go to stdout as one JSON line. Bundled by esbuild with
 * `@vtrans/client` left as an import, so each runtime loads the installed package.
 */
import { runClientChecks, type ClientChecksConfig } from './client-checks.js';

interface DenoLike {
  args: string[];
  exit(code: number): never;
}
const deno = (globalThis as { Deno?: DenoLike }).Deno;
const arg = deno ? deno.args[0] : process.argv[2];
if (arg === undefined) throw new Error('usage: client-entry <base64 JSON configuration>');
const config = JSON.parse(atob(arg)) as ClientChecksConfig;
const results = await runClientChecks(config);
console.log(JSON.stringify(results));
// Open keep-alive connections would keep the event loop alive for a while.
if (deno) deno.exit(0);
else process.exit(0);
