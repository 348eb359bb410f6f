/** `wait`, `watch` and `create`: follow a job to its end with progress on stderr. */
import {
  isJobCanceledError,
  isJobFailedError,
  type CreateJobInput,
  type Job,
  type VtransClient,
  type WaitStrategy,
} from '@vtrans/client';
import {
  createClient,
  resolveConnection,
  resumeCommand,
  type Connection,
  type GlobalOptions,
} from '../client-options.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { reportFailure } from '../failure.js';
import { listenForInterrupt } from '../interrupt.js';
import type { Io } from '../io.js';
import { createProgressReporter, progressMode, renderPlainLine } from '../progress.js';
import { printJob } from './job-commands.js';

export interface WaitCommandOptions extends GlobalOptions {
  timeout?: number;
  strategy?: WaitStrategy;
}

/** The exit code a terminal job leads to. */
function exitCodeOf(job: Job): ExitCode {
  return job.status === 'completed' ? EXIT.ok : EXIT.jobFailed;
}

function waitOptions(options: WaitCommandOptions, signal: AbortSignal) {
  return {
    signal,
    ...(options.timeout === undefined ? {} : { timeoutMs: options.timeout }),
    ...(options.strategy === undefined ? {} : { strategy: options.strategy }),
  };
}

/**
 * Waits on a job the caller has already read once (so a wrong id or an unreachable server fails
 * at once instead of being retried until the deadline).
 */
async function follow(
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
  try {
    const job = await client.waitForJob(first.id, {
      // A live bar wants stage changes, which the event stream pushes (one request all the same).
      ...(mode === 'bar' ? { strategy: 'sse' as WaitStrategy } : {}),
      ...waitOptions(options, signal),
      onUpdate: (update, info) => reporter.update(update, info),
    });
    reporter.stop();
    printJob(io, job, connection.isJson);
    return exitCodeOf(job);
  } catch (error) {
    reporter.stop();
    // The result goes to stdout whatever it was; the exit code and stderr say it failed.
    if (isJobFailedError(error) || isJobCanceledError(error))
      printJob(io, error.job, connection.isJson);
    return reportFailure(io, error, {
      url: connection.url,
      resumeCommand: resumeCommand(first.id, connection),
    });
  }
}

export async function runWait(io: Io, id: string, options: WaitCommandOptions): Promise<ExitCode> {
  const connection = resolveConnection(options, io.env);
  const client = createClient(connection);
  const interrupt = listenForInterrupt();
  try {
    let first: Job;
    try {
      first = await client.getJob(id, { signal: interrupt.signal });
    } catch (error) {
      return reportFailure(io, error, { url: connection.url });
    }
    return await follow(io, client, connection, first, options, interrupt.signal);
  } finally {
    interrupt.dispose();
  }
}

export interface CreateCommandOptions extends WaitCommandOptions {
  language?: string;
  sourceUrl?: string;
  duration?: number;
  outcome?: 'completed' | 'error';
  callbackUrl?: string;
  idempotencyKey?: string;
  wait?: boolean;
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
      return reportFailure(io, error, { url: connection.url });
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
  try {
    let last = await client.getJob(id, { signal: interrupt.signal });
    show(last);
    const watchOptions = {
      strategy: 'sse' as WaitStrategy,
      ...waitOptions(options, interrupt.signal),
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
    return reportFailure(io, error, {
      url: connection.url,
      resumeCommand: `vtrans watch ${id}${connection.isUrlFromFlag ? ` --url ${connection.url}` : ''}`,
    });
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
