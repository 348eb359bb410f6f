import type { Clock } from './clock.js';

/** What {@link sleep} needs. */
export interface SleepOptions {
  clock: Clock;
  /** Rejects with `signal.reason` (unchanged) and clears the timer when aborted. */
  signal?: AbortSignal | undefined;
}

/** Resolves after `delayMs`; abortable; never leaves a timer or listener behind. */
export function sleep(delayMs: number, { clock, signal }: SleepOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = clock.setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, delayMs),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Waits one macrotask. Sequential requests call it first: undici returns a connection to its
 * pool only after the task that read the previous body, so a request sent at once would open a
 * second connection.
 */
export function yieldSocket(ctx: { clock: Clock }): Promise<void> {
  return new Promise<void>((resolve) => {
    ctx.clock.setTimeout(resolve, 0);
  });
}
