/**
 * The `vtrans` command line: commander wiring, help texts and exit codes. Every failure ends as
 * one `vtrans: …` line on stderr and a documented exit code — never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { JOB_STATUSES } from '@vtrans/client';
import { DEFAULT_URL, type GlobalOptions } from './client-options.js';
import { runDemo } from './commands/demo.js';
import { runCancel, runGet, runList, type ListCommandOptions } from './commands/job-commands.js';
import { registerServe, type ServerModule } from './commands/serve.js';
import {
  runCreate,
  runWait,
  runWatch,
  type CreateCommandOptions,
  type WaitCommandOptions,
} from './commands/wait.js';
import { EXIT, EXIT_CODES_HELP, type ExitCode } from './exit-codes.js';
import { reportFailure } from './failure.js';
import type { Io } from './io.js';
import { integerIn, parseDuration, parseJobId } from './parse.js';

const MAX_PAGE_SIZE = 100;
const STRATEGIES = ['auto', 'long-poll', 'sse', 'poll'] as const;

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

function timeoutOption(defaultText: string): Option {
  return new Option(
    '--timeout <duration>',
    `give up waiting after this long (the job keeps running) (default ${defaultText})`,
  ).argParser((raw) => parseDuration(raw));
}

function strategyOption(defaultStrategy: string): Option {
  return new Option(
    '--strategy <strategy>',
    `how to learn about changes (default ${defaultStrategy})`,
  ).choices(STRATEGIES);
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

  const run =
    <A extends unknown[]>(fn: (...args: A) => Promise<ExitCode>) =>
    async (...args: A) =>
      setExit(await fn(...args));
  const globals = <T>(command: Command) => command.optsWithGlobals<T & GlobalOptions>();

  registerServe(program, io, setExit, server);

  program
    .command('create')
    .description('create a job (and with --wait, wait for it)')
    .option('--language <code>', 'target language, e.g. es')
    .option('--source-url <url>', 'the video to translate')
    .addOption(
      new Option(
        '--duration <duration>',
        'simulate this duration, e.g. 1500, 3s, 2m (at most 24h)',
      ).argParser((raw) => parseDuration(raw)),
    )
    .addOption(
      new Option('--outcome <outcome>', 'simulate this outcome').choices(['completed', 'error']),
    )
    .option('--callback-url <url>', 'receive a signed webhook when the job ends')
    .option('--idempotency-key <key>', 'makes retrying this command safe (default: a fresh key)')
    .option('--wait', 'wait for the job to end, with progress (exit code as for wait)')
    .addOption(timeoutOption('10m'))
    .addOption(strategyOption('as for wait'))
    .addHelpText(
      'after',
      `
Examples:
  vtrans create --language es --source-url https://example.com/talk.mp4
  vtrans create --language fr --duration 3s --wait
  vtrans create --outcome error --duration 500ms --wait --json`,
    )
    .action(
      run(async (_options: unknown, command: Command) =>
        runCreate(io, globals<CreateCommandOptions>(command)),
      ),
    );

  program
    .command('get')
    .description('show a job')
    .argument('<id>', 'job id', parseJobId)
    .addHelpText(
      'after',
      '\nExamples:\n  vtrans get job_abcdefghijklmnopqrst\n  vtrans get job_abcdefghijklmnopqrst --json | jq .status',
    )
    .action(
      run(async (id: string, _options: unknown, command: Command) =>
        runGet(io, id, globals(command)),
      ),
    );

  program
    .command('wait')
    .description('wait until a job ends: progress on stderr, the job on stdout')
    .argument('<id>', 'job id', parseJobId)
    .addOption(timeoutOption('10m'))
    .addOption(strategyOption('sse on a terminal, for live stages; else auto'))
    .addHelpText(
      'after',
      `
Exit code 0 when the job completed, 1 when it failed or was canceled, 3 when --timeout passed
first (the job keeps running; run the printed command to resume), 130 on Ctrl-C.

Examples:
  vtrans wait job_abcdefghijklmnopqrst
  vtrans wait job_abcdefghijklmnopqrst --timeout 30s --json > job.json`,
    )
    .action(
      run(async (id: string, _options: unknown, command: Command) =>
        runWait(io, id, globals<WaitCommandOptions>(command)),
      ),
    );

  program
    .command('watch')
    .description('print each change of a job (stage and status) until it ends')
    .argument('<id>', 'job id', parseJobId)
    .addOption(timeoutOption('10m'))
    .addOption(strategyOption('sse, which reports stage changes'))
    .addHelpText(
      'after',
      `
Exit codes as for wait. With --json, one JSON job per line (NDJSON).

Examples:
  vtrans watch job_abcdefghijklmnopqrst
  vtrans watch job_abcdefghijklmnopqrst --json | jq -r .stage`,
    )
    .action(
      run(async (id: string, _options: unknown, command: Command) =>
        runWatch(io, id, globals<WaitCommandOptions>(command)),
      ),
    );

  program
    .command('list')
    .description('list jobs, newest first')
    .addOption(new Option('--status <status>', 'only jobs with this status').choices(JOB_STATUSES))
    .addOption(
      new Option('--limit <n>', `jobs per page, 1..${MAX_PAGE_SIZE} (default 20)`).argParser(
        integerIn(1, MAX_PAGE_SIZE),
      ),
    )
    .option('--all', 'follow every page instead of showing the first')
    .addHelpText(
      'after',
      '\nExamples:\n  vtrans list\n  vtrans list --status error --limit 100 --all --json',
    )
    .action(
      run(async (_options: unknown, command: Command) =>
        runList(io, globals<ListCommandOptions>(command)),
      ),
    );

  program
    .command('cancel')
    .description('cancel a pending job (a finished one is an API error, exit 4)')
    .argument('<id>', 'job id', parseJobId)
    .addHelpText('after', '\nExamples:\n  vtrans cancel job_abcdefghijklmnopqrst')
    .action(
      run(async (id: string, _options: unknown, command: Command) =>
        runCancel(io, id, globals(command)),
      ),
    );

  program
    .command('demo')
    .description(
      'the integration demo: an in-process server, a few jobs (one fails), a readable log',
    )
    .addHelpText(
      'after',
      `
Starts a server in this process, polls the original GET /status, creates four jobs (one set to
fail, one canceled), waits on them with the client, then shuts the server down gracefully.
Exit code 0 only if every outcome was the expected one. --url is not used.

Examples:
  vtrans demo
  npm run demo`,
    )
    .action(run(async () => runDemo(io)));

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
