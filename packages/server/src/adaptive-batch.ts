/**
 * A batch size for work done in short synchronous steps (the SQLite store's sweeps, its vacuum and
 * step writes, the scheduler's pages of unfinished jobs at start): it doubles while a step stays
 * well under the target and halves while it runs well over, so each step holds the event loop for
 * about `targetMs` whatever the machine and the load.
 */
export class AdaptiveBatch {
  #size: number;

  constructor(
    private readonly min: number,
    private readonly max: number,
    private readonly targetMs: number,
    initial = min,
  ) {
    this.#size = initial;
  }

  get size(): number {
    return this.#size;
  }

  /** Tells how long a step of `n` items took; returns the size for the next step. */
  took(n: number, ms: number): number {
    if (ms < this.targetMs / 2 && n >= this.#size) this.#size = Math.min(this.max, this.#size * 2);
    else if (ms > this.targetMs * 2) this.#size = Math.max(this.min, Math.floor(n / 2));
    return this.#size;
  }
}

/** Lets requests, timers and other work run before the next step (a turn of its own). */
export const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => setImmediate(resolve));
