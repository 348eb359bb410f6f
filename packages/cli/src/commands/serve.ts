/**
 * `vtrans serve`: the server with every setting as a flag named after its environment variable
 * (`TRANSLATION_DELAY` → `--translation-delay`, `VT_STORE` → `--store`), described from the
 * server's table of variables (`CONFIG_VARIABLES`). Flags win over the environment and `.env`;
 * validation is the server's own (`loadConfig`), so both agree.
 */
import { Option, type Command } from 'commander';
import type * as VtransServer from '@vtrans/server';
import type { ConfigVariable, ServerConfig } from '@vtrans/server';
import type { CommandKit } from '../command-kit.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';

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

/** Markdown code spans read as plain text in a terminal. */
const plain = (markdown: string): string => markdown.replace(/`/g, '');

/** A variable's help line: its meaning, its default, its variable (from the server's table). */
export function helpOf(described: ConfigVariable): string {
  const fallback = plain(described.default);
  const whenUnset =
    fallback === 'unset'
      ? ''
      : fallback.startsWith('unset: ')
        ? ` (${fallback})`
        : ` (default ${fallback})`;
  return `${plain(described.meaning)}${whenUnset} [env ${described.variable}]`;
}

function flagBindings(server: ServerModule | undefined): FlagBinding[] {
  return (server?.CONFIG_VARIABLES ?? []).map((described) => ({
    variable: described.variable,
    option: new Option(`--${flagNameOf(described.variable)} <value>`, helpOf(described)),
  }));
}

/**
 * Adds the `serve` command. Its flags come from the server's `CONFIG_VARIABLES`, so `server` must
 * be given when `serve` may run; without it the command is only listed in the help.
 */
export function registerServe(
  program: Command,
  kit: CommandKit,
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
  command.action(
    kit.action(async (options: Record<string, unknown>) => {
      const flagEnv: Record<string, string> = {};
      for (const { option, variable } of bindings) {
        const value = options[option.attributeName()];
        if (typeof value === 'string') flagEnv[variable] = value;
      }
      if (server === undefined)
        throw new CliError('serve: the server module is not loaded', EXIT.usage);
      return runServe(kit.io, server, loadServeConfig(server, kit.io.env, flagEnv));
    }),
  );
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
    // startServer writes the start-up line and, on close, the last line ("stopped cleanly in N ms"),
    // also at --log-level warn.
    server = await module.startServer({ ...config, announceAtWarn: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new CliError(`could not start the server: ${message}`, EXIT.usage);
  }
  if (config.logLevel === 'silent') io.err(`vtrans: listening on ${server.url}`);
  const running = server;
  return new Promise<ExitCode>((resolve) => {
    // Still listening after the close: the echo of the first signal may arrive later.
    module.onShutdownSignals({
      stop: () => {
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
