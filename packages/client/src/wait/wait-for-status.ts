import { WaitTimeoutError } from '../errors/wait-timeout-error.js';
import { hintlessPollDelayMs } from '../internal/backoff.js';
import { parseRetryAfterMs } from '../internal/headers.js';
import { requestJson, type ClientContext } from '../internal/http.js';
import { parseStatus } from '../internal/parse.js';
import {
  acquireRetryToken,
  isTransientError,
  recordSuccess,
  retryDelayMs,
} from '../internal/retry.js';
import { sleep } from '../internal/sleep.js';
import type { ResolvedWaitOptions, UpdateInfo } from '../options.js';
import type { StatusResponse } from '../types/job.js';

const DONE: ReadonlySet<string> = new Set(['completed', 'error']);

/**
 * Polls the original `GET /status` (optionally `?job_id=`) until it reads `completed` or `error`,
 * with the no-hint schedule (or `Retry-After`), retrying transient failures until the deadline.
 * Resolves with the final body (`error` included: the original endpoint has no error details).
 */
export async function waitForStatus(
  ctx: ClientContext,
  jobId: string | undefined,
  options: ResolvedWaitOptions,
  onUpdate?: (status: StatusResponse, info: UpdateInfo) => void,
): Promise<StatusResponse> {
  const { clock } = ctx;
  const startedAtMs = clock.now();
  const deadlineAtMs = startedAtMs + options.timeoutMs;
  const deadline = new AbortController();
  const timer = clock.setTimeout(() => deadline.abort(), options.timeoutMs);
  const signal =
    options.signal === undefined
      ? deadline.signal
      : AbortSignal.any([options.signal, deadline.signal]);
  let requests = 0;
  let errorStreak = 0;
  let last: StatusResponse | undefined;
  /** The last request's failure, until one succeeds: the cause of a timeout. */
  let lastFailure: unknown;
  try {
    for (;;) {
      let delayMs: number;
      try {
        requests += 1;
        const response = await requestJson(ctx, {
          method: 'GET',
          path: 'status',
          query: { job_id: jobId },
          signal,
          timeoutMs: Math.min(
            ctx.options.requestTimeoutMs,
            Math.max(1, deadlineAtMs - clock.now()),
          ),
        });
        const status = parseStatus(response);
        errorStreak = 0;
        lastFailure = undefined;
        recordSuccess(ctx);
        if (last?.result !== status.result) {
          onUpdate?.(status, {
            attempt: requests,
            elapsedMs: clock.now() - startedAtMs,
            transport: 'poll',
          });
        }
        last = status;
        if (DONE.has(status.result)) return status;
        const retryAfterMs = parseRetryAfterMs(response.headers.get('retry-after'), clock.now());
        delayMs =
          retryAfterMs ?? hintlessPollDelayMs(clock.now() - startedAtMs, options.poll, ctx.random);
      } catch (error) {
        if (!isTransientError(error) || signal.aborted) throw error;
        lastFailure = error;
        delayMs = retryDelayMs(ctx, error, errorStreak++);
        await acquireRetryToken(ctx, signal);
      }
      await sleep(delayMs, { clock, signal });
    }
  } catch (error) {
    if (options.signal?.aborted === true) throw options.signal.reason;
    if (deadline.signal.aborted) {
      throw new WaitTimeoutError({
        jobId: jobId ?? 'default',
        lastJob: undefined,
        elapsedMs: clock.now() - startedAtMs,
        requests,
        cause: lastFailure,
      });
    }
    throw error;
  } finally {
    clock.clearTimeout(timer);
  }
}
