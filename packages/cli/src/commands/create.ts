/** `vtrans create`: creates a job, and with `--wait` follows it to its end. */
import { Option, type Command } from 'commander';
import type { CreateJobInput, Job } from '@vtrans/client';
import { createClient, resolveConnection } from '../client-options.js';
import { optionsOf, strategyOption, timeoutOption, type CommandKit } from '../command-kit.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { reportFailure } from '../failure.js';
import { DEFAULT_TIMEOUT_TEXT, follow, type WaitCommandOptions } from '../follow.js';
import { printJob } from '../format.js';
import { listenForInterrupt } from '../interrupt.js';
import type { Io } from '../io.js';
import { parseDuration } from '../parse.js';

export interface CreateCommandOptions extends WaitCommandOptions {
  language?: string;
  sourceUrl?: string;
  duration?: number;
  outcome?: 'completed' | 'error';
  callbackUrl?: string;
  idempotencyKey?: string;
  wait?: boolean;
}

export function registerCreate(program: Command, kit: CommandKit): void {
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
    .addOption(timeoutOption(DEFAULT_TIMEOUT_TEXT))
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
      kit.action(async (_options: unknown, command: Command) =>
        runCreate(kit.io, optionsOf<CreateCommandOptions>(command)),
      ),
    );
}

export function createInput(options: CreateCommandOptions): CreateJobInput {
  const simulate: NonNullable<CreateJobInput['simulate']> = {
    ...(options.duration === undefined ? {} : { duration_ms: options.duration }),
    ...(options.outcome === undefined ? {} : { outcome: options.outcome }),
  };
  return {
    ...(options.sourceUrl === undefined ? {} : { source_url: options.sourceUrl }),
    ...(options.language === undefined ? {} : { target_language: options.language }),
    ...(options.callbackUrl === undefined ? {} : { callback_url: options.callbackUrl }),
    ...(Object.keys(simulate).length === 0 ? {} : { simulate }),
  };
}

export async function runCreate(io: Io, options: CreateCommandOptions): Promise<ExitCode> {
  const connection = resolveConnection(options, io.env);
  const client = createClient(connection);
  const interrupt = listenForInterrupt();
  try {
    let job: Job;
    try {
      job = await client.createJob(createInput(options), {
        signal: interrupt.signal,
        ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
      });
    } catch (error) {
      return reportFailure(io, error);
    }
    if (options.wait !== true) {
      printJob(io, job, connection.isJson);
      return EXIT.ok;
    }
    if (!connection.isJson)
      io.err(`vtrans: created ${job.id}, waiting for it (Ctrl-C stops waiting, not the job)`);
    return await follow(io, client, connection, job, options, interrupt.signal);
  } finally {
    interrupt.dispose();
  }
}
