/**
 * Coalesces reads by key: every `get` made before the batch is sent (within the same tick) joins
 * one round trip, and a key asked for several times is read once. A wake burst — every waiter on a
 * job re-reading it at once — thus costs one read per job. Only calls made before the read is sent
 * join it, so no caller ever sees a state older than its own call.
 */
interface Pending<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
}

export class ReadBatcher<T> {
  #batch: Map<string, Pending<T>> | undefined;

  /** `fetch` answers one value (or an error) per key, in order. */
  constructor(private readonly fetch: (keys: string[]) => Promise<(T | Error)[]>) {}

  get(key: string): Promise<T> {
    let batch = this.#batch;
    if (!batch) {
      batch = this.#batch = new Map();
      // After the current microtasks: every caller woken by the same notice joins this batch.
      process.nextTick(() => this.#flush());
    }
    let pending = batch.get(key);
    if (!pending) {
      let settle!: Pick<Pending<T>, 'resolve' | 'reject'>;
      const promise = new Promise<T>((resolve, reject) => {
        settle = { resolve, reject };
      });
      pending = { promise, ...settle };
      batch.set(key, pending);
    }
    return pending.promise;
  }

  #flush(): void {
    const batch = this.#batch;
    this.#batch = undefined;
    if (!batch) return;
    const keys = [...batch.keys()];
    this.fetch(keys).then(
      (values) => {
        keys.forEach((key, i) => {
          const value = values[i];
          const pending = batch.get(key);
          if (value instanceof Error || value === undefined)
            pending?.reject(value ?? new Error('no reply'));
          else pending?.resolve(value);
        });
      },
      (err: unknown) => {
        for (const pending of batch.values()) pending.reject(err);
      },
    );
  }
}
