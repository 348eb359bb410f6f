/** Opaque timer handle. */
export type TimerHandle = unknown;

/**
 * Time as the client sees it. Tests inject one to observe (and compress) scheduled delays; the
 * client never reads `Date.now()` or calls `setTimeout` directly.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/** The longest delay a JavaScript timer can hold (longer ones, `Infinity` too, fire at once). */
export const MAX_TIMER_MS = 2_147_483_647;

/** The real clock. Longer delays than a timer can hold are cut to {@link MAX_TIMER_MS}. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) =>
    globalThis.setTimeout(callback, Math.min(MAX_TIMER_MS, Math.max(0, delayMs))),
  clearTimeout: (handle) => {
    globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>);
  },
};

/** The real random source. */
export const systemRandom: Random = () => Math.random();
