/**
 * The `vtrans` command line: the program, its global options and help, one module per command
 * (`commands/`), and exit codes. Every failure ends as one `vtrans: …` line on stderr and a
 * documented exit code — never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { DEFAULT_URL } from './client-options.js';
import { createKit, type CommandKit } from './command-kit.js';
import { registerCancel } from './commands/cancel.js';
import { registerCreate } from './commands/create.js';
import { registerDemo } from './commands/demo.js';
import { registerGet } from './commands/get.js';
import { registerList } from './commands/list.js';
import { registerServe, type ServerModule } from './commands/serve.js';
import { registerWait } from './commands/wait.js';
import { registerWatch } from './commands/watch.js';
import { EXIT, EXIT_CODES_HELP, type ExitCode } from './exit-codes.js';
import { reportFailure } from './failure.js';
import type { Io } from './io.js';

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** The commands, in the order the help lists them. */
function registerCommands(program: Command, kit: CommandKit, server?: ServerModule): void {
  registerServe(program, kit, server);
  registerCreate(program, kit);
  registerGet(program, kit);
  registerWait(program, kit);
  registerWatch(program, kit);
  registerList(program, kit);
  registerCancel(program, kit);
  registerDemo(program, kit);
}

/** Builds the program; each action stores its exit code through `setExit`. */
export function buildProgram(
  io: Io,
  setExit: (code: ExitCode) => void,
  server?: ServerModule,
): Command {
  const program = new Command('vtrans');
  program
    .description(
      'Create video-translation jobs on a vtrans server and wait for them; or run the server.',
    )
    .version(readVersion(), '-v, --version')
    .option('--url <url>', `server URL (default: $VTRANS_URL, then ${DEFAULT_URL})`)
    .option('--api-key <key>', 'API key (default: $VTRANS_API_KEY)')
    .option('--json', 'print JSON on stdout (watch: one object a line) and no progress')
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
      // Parse errors are printed once, as one line, by `main`.
      outputError: () => undefined,
    })
    .addHelpText(
      'after',
      `
Results go to stdout; progress and diagnostics to stderr.

Examples:
  vtrans serve --store memory                     # a server on http://127.0.0.1:3000
  vtrans create --language es --wait              # create a job and wait for it
  vtrans wait job_abcdefghijklmnopqrst --timeout 2m
  vtrans watch job_abcdefghijklmnopqrst --json    # one JSON object per change
  vtrans list --status pending
  vtrans demo                                     # the integration demo (npm run demo)

${EXIT_CODES_HELP}`,
    );
  registerCommands(program, createKit(io, setExit), server);
  return program;
}

/** Subcommand named in `argv`, for error messages. */
function commandIn(program: Command, argv: readonly string[]): string | undefined {
  const names = new Set(program.commands.map((c) => c.name()));
  return argv.find((arg) => names.has(arg));
}

/** Runs `vtrans` with `argv` (without node and the script) and resolves with the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.ok;
  // The server (Fastify, SQLite…) is loaded only for `serve`: the client commands start fast.
  const server = argv.includes('serve') ? await import('@vtrans/server') : undefined;
  const program = buildProgram(
    io,
    (code) => {
      exitCode = code;
    },
    server,
  );
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return commanderExit(program, argv, io, error);
    return reportFailure(io, error);
  }
}

function commanderExit(
  program: Command,
  argv: readonly string[],
  io: Io,
  error: CommanderError,
): ExitCode {
  switch (error.code) {
    case 'commander.helpDisplayed':
    case 'commander.version':
      return EXIT.ok;
    case 'commander.help':
      // `vtrans help wait` asked for it (0); `vtrans` alone got it on stderr instead (1).
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    default: {
      const name = commandIn(program, argv);
      const message = error.message
        .replace(/^error: /, '')
        .replace(/\s*\n\s*/g, ' ')
        .trim();
      io.err(`vtrans: ${message} (see: vtrans ${name === undefined ? '' : `${name} `}--help)`);
      return EXIT.usage;
    }
  }
}
