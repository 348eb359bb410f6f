import { JobCanceledError } from '../errors/job-canceled-error.js';
import { JobFailedError } from '../errors/job-failed-error.js';
import type { WaitOptions } from '../options.js';
import type { Job } from '../types/job.js';

/** Starts a wait (as `waitForJob` does) with the given options. */
export type StartWait = (options: WaitOptions) => Promise<Job>;

/**
 * Yields each change of a job, the terminal state last, then ends; a failed or canceled job
 * ends the iteration normally. Breaking out of the loop aborts the underlying wait.
 */
export async function* watchJob(
  start: StartWait,
  options: WaitOptions = {},
): AsyncGenerator<Job, void, undefined> {
  const queue: Job[] = [];
  let wake: (() => void) | undefined;
  let isDone = false;
  let failure: { error: unknown } | undefined;
  const stop = new AbortController();
  const signal =
    options.signal === undefined ? stop.signal : AbortSignal.any([options.signal, stop.signal]);
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  start({
    ...options,
    signal,
    onUpdate: (job, info) => {
      queue.push(job);
      notify();
      options.onUpdate?.(job, info);
    },
  }).then(
    () => {
      isDone = true;
      notify();
    },
    (error: unknown) => {
      if (!(error instanceof JobFailedError || error instanceof JobCanceledError))
        failure = { error };
      isDone = true;
      notify();
    },
  );
  try {
    for (;;) {
      const job = queue.shift();
      if (job !== undefined) {
        yield job;
        continue;
      }
      if (failure !== undefined) throw failure.error;
      if (isDone) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    stop.abort();
  }
}
