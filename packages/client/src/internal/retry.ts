import { ApiError } from '../errors/api-error.js';
import { NetworkError } from '../errors/network-error.js';
import { TUNING } from './tuning.js';
import { backoffDelayMs } from './backoff.js';
import type { ClientContext } from './http.js';
import { sleep } from './sleep.js';

/** Statuses worth retrying besides 5xx: Request Timeout, Too Early, Too Many Requests. */
const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([408, 425, 429]);
const FIRST_SERVER_ERROR = 500;

/** Whether a failure may go away on its own (network, timeouts, malformed bodies, 408/425/429/5xx). */
export function isTransientError(error: unknown): boolean {
  if (error instanceof NetworkError) return true;
  if (error instanceof ApiError) {
    return TRANSIENT_STATUSES.has(error.status) || error.status >= FIRST_SERVER_ERROR;
  }
  return false;
}

/**
 * The delay before retry `attempt` (0-based) after `error`: the server's `Retry-After` when it
 * sent one (it knows better), else capped jittered backoff.
 */
export function retryDelayMs(ctx: ClientContext, error: unknown, attempt: number): number {
  const retryAfterMs = error instanceof ApiError ? error.retryAfterMs : undefined;
  const backoff = backoffDelayMs(attempt, ctx.options.retry, ctx.random);
  return retryAfterMs === undefined ? backoff : Math.max(retryAfterMs, backoff / 2);
}

/**
 * The delay before re-arming a held wait (a long poll, a batch long poll, an event stream) after
 * a transient failure; `errorStreak` counts the failures in a row before this one.
 *
 * The first failure after a success is retried almost at once (tens of ms, jittered so many
 * clients do not retry in step, and never more than `retry.baseDelayMs`): while nothing is held,
 * completions go unnoticed, and one lost answer says little about the server. With the usual
 * backoff (250-500 ms, or more) a failed re-arm left every wait on a batch long poll blind that
 * long; under 30 % failures one wait in ten was about a second late (`bench/chaos`).
 * A `Retry-After` is still obeyed, and from the second failure in a row the usual backoff
 * applies, so an outage costs one extra request per wait engine.
 */
export function rearmDelayMs(ctx: ClientContext, error: unknown, errorStreak: number): number {
  const hasRetryAfter = error instanceof ApiError && error.retryAfterMs !== undefined;
  if (hasRetryAfter || errorStreak > 0) {
    return retryDelayMs(ctx, error, Math.max(0, errorStreak - 1));
  }
  const ceilingMs = Math.min(TUNING.rearmRetryDelayMs, ctx.options.retry.baseDelayMs);
  return backoffDelayMs(0, { baseDelayMs: ceilingMs, maxDelayMs: ceilingMs }, ctx.random);
}

/** Tells the retry budget an answer succeeded: successes refill it (`RetryBudget`). */
export function recordSuccess(ctx: ClientContext): void {
  ctx.budget?.recordSuccess();
}

/** Options of {@link callWithRetries}. */
export interface CallOptions {
  signal?: AbortSignal | undefined;
}

/**
 * Runs one API call, retrying transient failures up to `retry.maxRetries` times, each retry
 * paid for from the client's budget (an empty budget fails at once).
 */
export async function callWithRetries<T>(
  ctx: ClientContext,
  call: (attempt: number) => Promise<T>,
  { signal }: CallOptions = {},
): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const result = await call(attempt);
      recordSuccess(ctx);
      return result;
    } catch (error) {
      if (signal?.aborted === true) throw signal.reason;
      if (!isTransientError(error) || attempt >= ctx.options.retry.maxRetries) throw error;
      if (error instanceof ApiError && (error.retryAfterMs ?? 0) > TUNING.maxRetryAfterMs)
        throw error;
      if (ctx.budget !== undefined && !ctx.budget.tryAcquire()) {
        ctx.options.logger.warn?.('vtrans: retry budget exhausted, not retrying', { attempt });
        throw error;
      }
      const delayMs = retryDelayMs(ctx, error, attempt);
      ctx.options.logger.debug?.('vtrans: retrying', {
        attempt: attempt + 1,
        delayMs,
        error: String(error),
      });
      await sleep(delayMs, { clock: ctx.clock, signal });
    }
  }
}

/**
 * Waits until the retry budget has a token (taking it), abortable. Waits call this instead of
 * failing: during an outage they slow down to the budget's refill rate, and an answer that
 * succeeds meanwhile (refilling the bucket) lets them go at once.
 */
export async function acquireRetryToken(ctx: ClientContext, signal: AbortSignal): Promise<void> {
  const { budget } = ctx;
  if (budget === undefined) return;
  while (!budget.tryAcquire()) {
    const refilled = new AbortController();
    const stopListening = budget.onSuccess(() => refilled.abort());
    try {
      await sleep(budget.msUntilAvailable(), {
        clock: ctx.clock,
        signal: AbortSignal.any([signal, refilled.signal]),
      });
    } catch (error) {
      if (signal.aborted || !refilled.signal.aborted) throw error;
    } finally {
      stopListening();
    }
  }
}
