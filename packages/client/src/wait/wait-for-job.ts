import { JobCanceledError } from '../errors/job-canceled-error.js';
import { JobFailedError } from '../errors/job-failed-error.js';
import { WaitTimeoutError } from '../errors/wait-timeout-error.js';
import type { ClientContext } from '../internal/http.js';
import { DEFAULTS, type ResolvedWaitOptions, type WaitTransport } from '../options.js';
import type { Job } from '../types/job.js';
import { fetchJobStatus } from './long-poll.js';
import { isNews, type WaitEngine, type WaitSubscriber } from './subscriber.js';

/** Where a wait gets its engine from. */
export interface WaitDeps {
  readonly ctx: ClientContext;
  /** The engine for this wait's strategy (shared for `auto`, private otherwise). */
  engineFor(options: ResolvedWaitOptions): WaitEngine;
}

function hasChanged(previous: Job | undefined, job: Job): boolean {
  return (
    isNews(previous, job) || previous?.stage !== job.stage || previous.progress !== job.progress
  );
}

/**
 * Waits until job `id` is terminal: resolves with the completed job, rejects `JobFailedError`,
 * `JobCanceledError`, `WaitTimeoutError` (after one last check just before the deadline), a
 * non-transient `ApiError`, or the signal's reason (unchanged, within a tick).
 */
export function waitForJob(
  deps: WaitDeps,
  id: string,
  options: ResolvedWaitOptions,
  initialJob?: Job,
): Promise<Job> {
  const { ctx } = deps;
  const { clock } = ctx;
  const { signal } = options;
  if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
  return new Promise<Job>((resolve, reject) => {
    const startedAtMs = clock.now();
    const deadlineAtMs = startedAtMs + options.timeoutMs;
    const engine = deps.engineFor(options);
    let lastJob: Job | undefined;
    let requests = 0;
    let isSettled = false;
    let isInEngine = false;
    let finalCheck: AbortController | undefined;

    const settle = (outcome: () => void): void => {
      if (isSettled) return;
      isSettled = true;
      clock.clearTimeout(deadlineTimer);
      signal?.removeEventListener('abort', onAbort);
      if (isInEngine) engine.remove(subscriber);
      isInEngine = false;
      outcome();
    };

    const observe = (job: Job, transport: WaitTransport): void => {
      if (isSettled || job.id !== id) return;
      if (lastJob !== undefined && job.version < lastJob.version) return;
      if (!hasChanged(lastJob, job)) return;
      lastJob = job;
      try {
        options.onUpdate?.(job, {
          attempt: requests,
          elapsedMs: clock.now() - startedAtMs,
          transport,
        });
      } catch (error) {
        ctx.options.logger.warn?.('vtrans: onUpdate threw', { error: String(error) });
      }
      if (job.status === 'completed') settle(() => resolve(job));
      else if (job.status === 'error') settle(() => reject(new JobFailedError(job)));
      else if (job.status === 'canceled') settle(() => reject(new JobCanceledError(job)));
    };

    const subscriber: WaitSubscriber = {
      jobId: id,
      startedAtMs,
      deadlineAtMs,
      poll: options.poll,
      lastJob: () => lastJob,
      countRequest: () => {
        requests += 1;
      },
      deliver: observe,
      // Errors pass through unchanged (an abort reason may be any value).
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      fail: (error) => settle(() => reject(error)),
    };

    const timeout = (): void =>
      settle(() =>
        reject(
          new WaitTimeoutError({
            jobId: id,
            lastJob,
            elapsedMs: clock.now() - startedAtMs,
            requests,
          }),
        ),
      );

    const runFinalCheck = async (): Promise<void> => {
      if (isInEngine) engine.remove(subscriber);
      isInEngine = false;
      finalCheck = new AbortController();
      const graceMs = Math.max(0, deadlineAtMs + DEFAULTS.finalCheckGraceMs - clock.now());
      const timer = clock.setTimeout(() => finalCheck?.abort(), graceMs);
      requests += 1;
      try {
        const answer = await fetchJobStatus(ctx, id, {
          holdS: 0,
          ifNoneMatch: undefined,
          signal:
            signal === undefined ? finalCheck.signal : AbortSignal.any([signal, finalCheck.signal]),
        });
        for (const job of answer.jobs) observe(job, 'poll');
      } catch {
        // The deadline has come: whatever went wrong, the answer is WaitTimeoutError.
      } finally {
        clock.clearTimeout(timer);
      }
      timeout();
    };

    const onAbort = (): void => {
      finalCheck?.abort();
      settle(() => reject(signal?.reason as Error));
    };

    const deadlineTimer = clock.setTimeout(
      () => {
        if (!isSettled) void runFinalCheck();
      },
      Math.max(0, options.timeoutMs - DEFAULTS.finalCheckLeadMs),
    );
    signal?.addEventListener('abort', onAbort, { once: true });

    if (initialJob !== undefined) observe(initialJob, 'poll');
    if (!isSettled) {
      isInEngine = true;
      engine.add(subscriber);
    }
  });
}
