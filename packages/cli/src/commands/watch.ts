/** `vtrans watch <id>`: prints each change of a job (stage and status) until it ends. */
import type { Command } from 'commander';
import type { Job, WaitStrategy } from '@vtrans/client';
import { createClient, resolveConnection } from '../client-options.js';
import { optionsOf, strategyOption, timeoutOption, type CommandKit } from '../command-kit.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { reportFailure } from '../failure.js';
import {
  DEFAULT_TIMEOUT_TEXT,
  exitCodeOf,
  waitFailureContext,
  waitOptionsOf,
  type WaitCommandOptions,
} from '../follow.js';
import { listenForInterrupt } from '../interrupt.js';
import type { Io } from '../io.js';
import { parseJobId } from '../parse.js';
import { createProgressReporter, renderPlainLine } from '../progress.js';

export function registerWatch(program: Command, kit: CommandKit): void {
  program
    .command('watch')
    .description('print each change of a job (stage and status) until it ends')
    .argument('<id>', 'job id', parseJobId)
    .addOption(timeoutOption(DEFAULT_TIMEOUT_TEXT))
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
      kit.action(async (id: string, _options: unknown, command: Command) =>
        runWatch(kit.io, id, optionsOf<WaitCommandOptions>(command)),
      ),
    );
}

/** Status, stage and version: what makes a change worth a line in `watch`. */
function changeKey(job: Job): string {
  return `${job.version}/${job.status}/${job.stage ?? ''}`;
}

export async function runWatch(io: Io, id: string, options: WaitCommandOptions): Promise<ExitCode> {
  const connection = resolveConnection(options, io.env);
  const client = createClient(connection);
  const interrupt = listenForInterrupt();
  const isBar = !connection.isJson && io.isErrTty;
  const reporter = createProgressReporter(io, { mode: isBar ? 'bar' : 'none' });
  const startedAtMs = Date.now();
  let lastKey: string | undefined;
  const show = (job: Job) => {
    const key = changeKey(job);
    if (key === lastKey) return;
    lastKey = key;
    const nowMs = Date.now();
    reporter.printOut(
      connection.isJson ? JSON.stringify(job) : renderPlainLine(job, nowMs - startedAtMs, nowMs),
    );
    reporter.update(job);
  };
  let last: Job | undefined;
  try {
    last = await client.getJob(id, { signal: interrupt.signal });
    show(last);
    const watchOptions = {
      strategy: 'sse' as WaitStrategy,
      ...waitOptionsOf(options, interrupt.signal),
    };
    for await (const job of client.watchJob(id, watchOptions)) {
      show(job);
      last = job;
    }
    reporter.stop();
    if (last.status === 'error' || last.status === 'canceled') {
      return reportFailure(io, last.status === 'error' ? jobFailed(last) : jobCanceled(last), {});
    }
    return exitCodeOf(last);
  } catch (error) {
    reporter.stop();
    const resume = `vtrans watch ${id}${connection.isUrlFromFlag ? ` --url ${connection.url}` : ''}`;
    return reportFailure(io, error, waitFailureContext(options, last, resume));
  } finally {
    interrupt.dispose();
  }
}

function jobFailed(job: Job): CliError {
  const detail = job.error ? `: ${job.error.code} (${job.error.message})` : '';
  return new CliError(`job ${job.id} failed${detail}`, EXIT.jobFailed);
}

function jobCanceled(job: Job): CliError {
  return new CliError(`job ${job.id} was canceled`, EXIT.jobFailed);
}
