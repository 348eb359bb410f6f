/**
 * Holds a request until one of its jobs changes or the hold ends. The listeners are registered
 * *before* the first read, so a change between the read and the wait is never missed.
 */
import { StoreUnavailableError } from '../store/types.js';
import type { Hub } from './hub.js';

/** While the store is away (a Redis outage), a held request re-reads this often instead of failing. */
const STORE_RETRY_MS = 500;

/**
 * What can end a hold early: an `AbortSignal` (shutdown) satisfies it, and so does a cheaper
 * watcher of one response's `close` (see `clientGone` in `routes/job-reply.ts`) — a held request
 * costs memory for as long as it waits, and thousands wait at once.
 */
export interface EndSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface HoldOptions<T> {
  hub: Hub;
  jobIds: readonly string[];
  waitMs: number;
  /** Aborts the hold early (shutdown, client gone): the caller answers with the current state. */
  signals: readonly EndSignal[];
  /**
   * Reads the current state; returns the answer when it differs from the baseline, or `undefined`
   * to keep holding. `notBefore` is the latest notice's instant: evaluate the job no earlier.
   */
  check: (notBefore: number) => Promise<T | undefined>;
}

/** Resolves with `check`'s answer, or `undefined` when the hold ended with nothing new. */
export async function holdForChange<T>(options: HoldOptions<T>): Promise<T | undefined> {
  const { hub, jobIds, waitMs, signals, check } = options;
  let notBefore = 0;
  let dirty = false;
  let wake: (() => void) | undefined;
  const onNotice = (notice: { at: number }) => {
    notBefore = Math.max(notBefore, notice.at);
    dirty = true;
    wake?.();
  };
  const unsubscribers = jobIds.map((id) => hub.onJob(id, onNotice));
  let timer: NodeJS.Timeout | undefined;
  let retry: NodeJS.Timeout | undefined;
  let ended = signals.some((s) => s.aborted);
  const onEnd = () => {
    ended = true;
    wake?.();
  };
  for (const signal of signals) signal.addEventListener('abort', onEnd);
  try {
    const first = await check(notBefore);
    if (first !== undefined) return first;
    timer = setTimeout(onEnd, waitMs);
    while (!ended) {
      if (!dirty) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        if (!dirty) continue;
      }
      dirty = false;
      let answer: T | undefined;
      try {
        answer = await check(notBefore);
      } catch (err) {
        // A held request outlives a store outage: it keeps holding and reads again, and answers
        // the change once the store is back (or its last known state when the hold ends).
        if (!(err instanceof StoreUnavailableError)) throw err;
        clearTimeout(retry);
        retry = setTimeout(() => onNotice({ at: notBefore }), STORE_RETRY_MS);
        continue;
      }
      if (answer !== undefined) return answer;
    }
    return undefined;
  } finally {
    clearTimeout(retry);
    if (timer) clearTimeout(timer);
    for (const off of unsubscribers) off();
    for (const signal of signals) signal.removeEventListener('abort', onEnd);
  }
}
