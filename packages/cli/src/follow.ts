/** Following a job to its end with progress on stderr: what `wait` and `create --wait` share. */
import {
  isJobCanceledError,
  isJobFailedError,
  type Job,
  type VtransClient,
  type WaitOptions,
  type WaitStrategy,
} from '@vtrans/client';
import { resumeCommand, type Connection, type GlobalOptions } from './client-options.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { reportFailure, type FailureContext } from './failure.js';
import { printJob } from './format.js';
import type { Io } from './io.js';
import type { Duration } from './parse.js';
import { createProgressReporter, progressMode } from './progress.js';

/** `--timeout` when not given, as the help says it. */
export const DEFAULT_TIMEOUT_TEXT = '10m';

/** The options of the commands that wait (`wait`, `watch`, `create --wait`). */
export interface WaitCommandOptions extends GlobalOptions {
  timeout?: Duration;
  strategy?: WaitStrategy;
}

/** The exit code a terminal job leads to. */
export function exitCodeOf(job: Job): ExitCode {
  return job.status === 'completed' ? EXIT.ok : EXIT.jobFailed;
}

/** The client's wait options from the command's. */
export function waitOptionsOf(options: WaitCommandOptions, signal: AbortSignal): WaitOptions {
  return {
    signal,
    ...(options.timeout === undefined ? {} : { timeoutMs: options.timeout.ms }),
    ...(options.strategy === undefined ? {} : { strategy: options.strategy }),
  };
}

/** What a failed wait's message may mention: the timeout as typed, the job, how to resume. */
export function waitFailureContext(
  options: WaitCommandOptions,
  lastJob: Job | undefined,
  resume: string,
): FailureContext {
  return {
    ...(lastJob === undefined ? {} : { lastJob }),
    timeout: options.timeout?.text ?? DEFAULT_TIMEOUT_TEXT,
    resumeCommand: resume,
  };
}

/**
 * Waits on a job the caller has already read once (so a wrong id or an unreachable server fails
 * at once instead of being retried until the deadline).
 */
export async function follow(
  io: Io,
  client: VtransClient,
  connection: Connection,
  first: Job,
  options: WaitCommandOptions,
  signal: AbortSignal,
): Promise<ExitCode> {
  const mode = progressMode(io, connection.isJson);
  const reporter = createProgressReporter(io, { mode });
  reporter.update(first);
  let latest = first;
  try {
    const job = await client.waitForJob(first.id, {
      // A live bar wants stage changes, which the event stream pushes (one request all the same).
      ...(mode === 'bar' ? { strategy: 'sse' as WaitStrategy } : {}),
      ...waitOptionsOf(options, signal),
      onUpdate: (update, info) => {
        latest = update;
        reporter.update(update, info);
      },
    });
    reporter.stop();
    printJob(io, job, connection.isJson);
    return exitCodeOf(job);
  } catch (error) {
    reporter.stop();
    // The result goes to stdout whatever it was; the exit code and stderr say it failed.
    if (isJobFailedError(error) || isJobCanceledError(error))
      printJob(io, error.job, connection.isJson);
    return reportFailure(
      io,
      error,
      waitFailureContext(options, latest, resumeCommand(first.id, connection)),
    );
  }
}
