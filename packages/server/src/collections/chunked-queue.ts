/**
 * A first-in, first-out queue kept in fixed-size chunks. A plain array used as a queue copies
 * itself when it grows and when `splice(0, n)` takes from its front: at a million entries each
 * copy holds the event loop for tens of milliseconds. Here a push or a take touches one chunk.
 */
const CHUNK = 1024;

export class ChunkedQueue<T> {
  #chunks: T[][] = [];
  /** Index of the first live item in the first chunk. */
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(item: T): void {
    let last = this.#chunks.at(-1);
    if (!last || last.length === CHUNK) this.#chunks.push((last = []));
    last.push(item);
    this.#length++;
  }

  /** Removes and returns up to `n` items from the front, oldest first. */
  take(n: number): T[] {
    const out: T[] = [];
    while (out.length < n && this.#length > 0) {
      const first = this.#chunks[0]!;
      const end = Math.min(first.length, this.#head + (n - out.length));
      for (let i = this.#head; i < end; i++) out.push(first[i]!);
      this.#length -= end - this.#head;
      this.#head = end;
      if (this.#head === first.length) {
        this.#chunks.shift();
        this.#head = 0;
      }
    }
    return out;
  }
}
