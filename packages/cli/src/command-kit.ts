/** What every command module gets to register itself, and the options several commands share. */
import { Option, type Command } from 'commander';
import type { GlobalOptions } from './client-options.js';
import type { ExitCode } from './exit-codes.js';
import type { Io } from './io.js';
import { parseDuration, type Duration } from './parse.js';

const STRATEGIES = ['auto', 'long-poll', 'sse', 'poll'] as const;

/** Handed to each command's `register…` function. */
export interface CommandKit {
  readonly io: Io;
  /** Wraps a command's run function as a commander action that stores its exit code. */
  action<A extends unknown[]>(
    run: (...args: A) => Promise<ExitCode>,
  ): (...args: A) => Promise<void>;
}

/** A kit whose actions hand their exit code to `setExit`. */
export function createKit(io: Io, setExit: (code: ExitCode) => void): CommandKit {
  return {
    io,
    action:
      (run) =>
      async (...args) =>
        setExit(await run(...args)),
  };
}

/** The command's own options together with the global ones (`--url`, `--api-key`, `--json`). */
export function optionsOf<T>(command: Command): T & GlobalOptions {
  return command.optsWithGlobals<T & GlobalOptions>();
}

/** `--timeout`, kept as the user wrote it (`1s`) so messages can repeat it. */
export function timeoutOption(defaultText: string): Option {
  return new Option(
    '--timeout <duration>',
    `give up waiting after this long (the job keeps running) (default ${defaultText})`,
  ).argParser((raw): Duration => ({ ms: parseDuration(raw), text: raw.trim() }));
}

export function strategyOption(defaultStrategy: string): Option {
  return new Option(
    '--strategy <strategy>',
    `how to learn about changes (default ${defaultStrategy})`,
  ).choices(STRATEGIES);
}
