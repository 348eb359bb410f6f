/**
 * `vtrans serve`: the server with every setting as a flag named after its environment variable
 * (`TRANSLATION_DELAY` → `--translation-delay`, `VT_STORE` → `--store`). Flags win over the
 * environment and `.env`; validation is the server's own (`loadConfig`), so both agree.
 */
import { Option, type Command } from 'commander';
import type * as VtransServer from '@vtrans/server';
import type { ServerConfig } from '@vtrans/server';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';

/** What each variable means, for `vtrans serve --help` (new variables still get a flag). */
const DESCRIPTIONS: Record<string, string> = {
  PORT: 'listen port (default 3000; 0 picks a free one)',
  HOST: 'listen address (default 127.0.0.1)',
  TRANSLATION_DELAY: 'mean job duration, ms (default 10000)',
  TRANSLATION_DELAY_JITTER:
    'real duration varies by up to ± this fraction of the mean (default 0.2)',
  ERROR_PROBABILITY: 'chance a job ends in error, 0..1 (default 0.1)',
  VT_SEED: "seed of the simulator's random choices (default random)",
  VT_STORE: 'memory, sqlite:<path> or redis://host:port (default sqlite:./data/vtrans.db)',
  VT_MAX_WAITERS: 'held long polls + streams before answering at once (default 20000)',
  VT_BODY_LIMIT: 'request body limit, bytes (default 1048576)',
  VT_RETENTION: 'how long finished jobs and idempotency keys are kept (default 24h)',
  VT_CORS_ORIGINS: 'allowed browser origins, comma-separated, or * (default none)',
  VT_TRUST_PROXY: 'trust X-Forwarded-* headers: true or false (default false)',
  VT_SHUTDOWN_GRACE: 'graceful-shutdown limit (default 10s)',
  LOG_LEVEL: 'fatal, error, warn, info, debug, trace or silent (default info)',
  VT_API_KEYS: 'key:tenant[:tier],… (default none: open mode, loopback only)',
  VT_API_KEYS_FILE: 'a file of key:tenant[:tier] lines',
  VT_RATE_LIMITS: 'per tier, e.g. free=60/min,pro=600/min',
  VT_METRICS_TOKEN: 'bearer token required for /metrics',
  VT_WEBHOOK_SECRET: 'webhook signing secret (whsec_…) in open mode',
  VT_WEBHOOK_RETRY_DELAYS: 'delays between webhook attempts, e.g. 5s,30s,2m',
  VT_WEBHOOK_TIMEOUT: 'per-attempt webhook timeout (default 10s)',
  VT_WEBHOOK_ALLOW_HOSTS: 'hosts exempt from the private-address guard',
  VT_FAULTS: 'injected faults, e.g. 503=0.1,reset=0.05,latency=200ms',
};

/** Flag names the whole CLI uses already; a variable mapping to one keeps its VT_ prefix. */
const RESERVED = new Set(['url', 'api-key', 'json', 'help', 'version']);

/** `VT_STORE` → `store`, `TRANSLATION_DELAY` → `translation-delay`. */
export function flagNameOf(variable: string): string {
  const short = variable.replace(/^VT_/, '').toLowerCase().replace(/_/g, '-');
  return RESERVED.has(short) ? variable.toLowerCase().replace(/_/g, '-') : short;
}

interface FlagBinding {
  option: Option;
  variable: string;
}

/** `@vtrans/server`, loaded only when `serve` runs (it is heavy next to the client). */
export type ServerModule = typeof VtransServer;

function flagBindings(server: ServerModule | undefined): FlagBinding[] {
  return (server?.CONFIG_VARIABLES ?? []).map(({ variable }) => ({
    variable,
    option: new Option(
      `--${flagNameOf(variable)} <value>`,
      `${DESCRIPTIONS[variable] ?? 'see the README'} [env ${variable}]`,
    ),
  }));
}

/**
 * Adds the `serve` command. Its flags come from the server's `CONFIG_VARIABLES`, so `server` must
 * be given when `serve` may run; without it the command is only listed in the help.
 */
export function registerServe(
  program: Command,
  io: Io,
  setExit: (code: ExitCode) => void,
  server: ServerModule | undefined,
): void {
  const bindings = flagBindings(server);
  const command = program
    .command('serve')
    .description('run the vtrans server (every setting as a flag or an environment variable)')
    .addHelpText(
      'after',
      `
Flags win over environment variables, which win over a .env file in the working directory.

Examples:
  vtrans serve                                  # http://127.0.0.1:3000, SQLite under ./data/
  vtrans serve --port 8080 --store memory
  vtrans serve --translation-delay 3000 --error-probability 0.25 --seed 42
  PORT=4000 vtrans serve --log-level debug`,
    );
  for (const binding of bindings) command.addOption(binding.option);
  command.action(async (options: Record<string, unknown>) => {
    const flagEnv: Record<string, string> = {};
    for (const { option, variable } of bindings) {
      const value = options[option.attributeName()];
      if (typeof value === 'string') flagEnv[variable] = value;
    }
    if (server === undefined)
      throw new CliError('serve: the server module is not loaded', EXIT.usage);
    setExit(await runServe(io, server, loadServeConfig(server, io.env, flagEnv)));
  });
}

/** The configuration from env + flags; a bad value is a usage error naming the flag. */
export function loadServeConfig(
  server: ServerModule,
  env: NodeJS.ProcessEnv,
  flagEnv: Record<string, string>,
): ServerConfig {
  try {
    return server.loadConfig({ ...env, ...flagEnv });
  } catch (error) {
    if (error instanceof server.ConfigError) {
      const message =
        error.variable in flagEnv
          ? error.message.replace(
              `Invalid ${error.variable}=`,
              `Invalid --${flagNameOf(error.variable)} `,
            )
          : error.message;
      throw new CliError(message, EXIT.usage);
    }
    throw error;
  }
}

/** Serves until SIGINT or SIGTERM, then shuts down gracefully (held requests answered first). */
export async function runServe(
  io: Io,
  module: ServerModule,
  config: ServerConfig,
): Promise<ExitCode> {
  let server;
  try {
    server = await module.startServer(config);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new CliError(`could not start the server: ${message}`, EXIT.usage);
  }
  server.app.log.info(
    { url: server.url, store: server.context.store.kind },
    `vtrans server listening on ${server.url}`,
  );
  if (config.logLevel === 'silent') io.err(`vtrans: listening on ${server.url}`);
  const running = server;
  return new Promise<ExitCode>((resolve) => {
    // Still listening after the close: the echo of the first signal may arrive later.
    module.onShutdownSignals({
      stop: (signal) => {
        running.app.log.info({ signal }, 'shutting down gracefully');
        running.close().then(
          () => resolve(EXIT.ok),
          (error: unknown) => {
            io.err(
              `vtrans: shutdown failed: ${error instanceof Error ? error.message : String(error)}`,
            );
            resolve(EXIT.api);
          },
        );
      },
      again: (signal) => {
        io.err(`vtrans: ${signal} again, exiting now`);
        process.exit(EXIT.interrupted);
      },
    });
  });
}
