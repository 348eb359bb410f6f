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
    server = await startServer(config);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`vtrans: could not start the server: ${message}\n`);
    process.exit(1);
  }
  server.app.log.info(
    { url: server.url, store: server.context.store.kind },
    `vtrans server listening on ${server.url}`,
  );
  onShutdownSignals({
    stop: (signal) => {
      server.app.log.info({ signal }, 'shutting down gracefully');
      server.close().then(
        () => process.exit(0),
        (err: unknown) => {
          server.app.log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    },
    again: (signal) => {
      process.stderr.write(`vtrans: ${signal} again, exiting now\n`);
      process.exit(1);
    },
  });
}

await main();
