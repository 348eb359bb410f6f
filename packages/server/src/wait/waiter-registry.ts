/**
 * Counts held long polls and event streams against `VT_MAX_WAITERS`, and answers them all at once
 * on shutdown: every holder gets a signal that aborts when the server starts closing.
 */
import { setMaxListeners } from 'node:events';

export class WaiterRegistry {
  readonly #closing = new AbortController();
  #held = 0;
  #streams = 0;

  constructor(private readonly max: number) {
    // Every held request listens on this one signal: thousands are expected, not a leak.
    setMaxListeners(0, this.#closing.signal);
  }

  /** Aborts when the server shuts down: holders answer at once. */
  get shutdownSignal(): AbortSignal {
    return this.#closing.signal;
  }

  get isClosing(): boolean {
    return this.#closing.signal.aborted;
  }

  /** Held long polls plus open streams. */
  get size(): number {
    return this.#held + this.#streams;
  }

  get heldRequests(): number {
    return this.#held;
  }

  get openStreams(): number {
    return this.#streams;
  }

  /** Takes a place, or returns `undefined` when full or closing; call the returned release once. */
  acquire(kind: 'hold' | 'stream'): (() => void) | undefined {
    if (this.isClosing || this.size >= this.max) return undefined;
    if (kind === 'hold') this.#held++;
    else this.#streams++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (kind === 'hold') this.#held--;
      else this.#streams--;
    };
  }

  closeAll(): void {
    this.#closing.abort();
  }
}
