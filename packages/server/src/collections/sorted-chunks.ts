/**
 * Items kept sorted by a key, in chunks of at most `MAX_CHUNK`. A sorted plain array inserts into
 * its middle and removes from it by copying everything after the spot: at a million entries each
 * such copy takes about a millisecond, and a catch-up that files thousands of jobs holds the event
 * loop for hundreds. Here an insert or a removal copies within one chunk (split in two once it
 * is full, dropped once it is empty), and finding a key is two binary searches.
 *
 * Walks (`ascending`, `descending`) are generators that survive changes made between their steps:
 * after one, a walk finds its place again from the last item it gave, so it never gives an item
 * twice nor skips one that was there throughout.
 */
const MAX_CHUNK = 1024;

type Position = { chunk: number; index: number };

export class SortedChunks<K, T extends K> {
  #chunks: T[][] = [];
  #size = 0;
  /** Changes with every insert or removal, so a walk knows to find its place again. */
  #version = 0;

  /** `compare(a, b)`: negative when `a` sorts before `b`, 0 when their keys are equal. */
  constructor(private readonly compare: (a: K, b: K) => number) {}

  get size(): number {
    return this.#size;
  }

  /** Adds `item` (whose key is not already here). */
  add(item: T): void {
    this.#version++;
    this.#size++;
    const chunks = this.#chunks;
    const last = chunks[chunks.length - 1];
    if (!last || this.compare(item, last[last.length - 1]!) > 0) {
      if (!last || last.length >= MAX_CHUNK) chunks.push([item]);
      else last.push(item);
      return;
    }
    const { chunk, index } = this.#firstNotBefore(item);
    const into = chunks[chunk]!;
    into.splice(index, 0, item);
    if (into.length > MAX_CHUNK) chunks.splice(chunk + 1, 0, into.splice(MAX_CHUNK / 2));
  }

  /** Removes the item with `key`'s key; whether there was one. */
  remove(key: K): boolean {
    const { chunk, index } = this.#firstNotBefore(key);
    const from = this.#chunks[chunk];
    if (!from || this.compare(from[index]!, key) !== 0) return false;
    this.#version++;
    this.#size--;
    if (from.length === 1) this.#chunks.splice(chunk, 1);
    else from.splice(index, 1);
    return true;
  }

  /** Items after `after` (all when not given), smallest first. */
  *ascending(after?: K): Generator<T> {
    let version = this.#version;
    let at = after === undefined ? { chunk: 0, index: 0 } : this.#firstAfter(after);
    for (;;) {
      const chunk = this.#chunks[at.chunk];
      if (!chunk) return;
      const item = chunk[at.index]!;
      yield item;
      if (version !== this.#version) {
        version = this.#version;
        at = this.#firstAfter(item);
      } else if (at.index + 1 < chunk.length) at = { chunk: at.chunk, index: at.index + 1 };
      else at = { chunk: at.chunk + 1, index: 0 };
    }
  }

  /** Items before `before` (all when not given), largest first. */
  *descending(before?: K): Generator<T> {
    let version = this.#version;
    let at = before === undefined ? this.#end() : this.#firstNotBefore(before);
    for (;;) {
      at = this.#stepBack(at);
      const chunk = this.#chunks[at.chunk];
      if (!chunk) return;
      const item = chunk[at.index]!;
      yield item;
      if (version !== this.#version) {
        version = this.#version;
        // The first at or after `item` (item itself, if still here): the next step is before it.
        at = this.#firstNotBefore(item);
      }
    }
  }

  #end(): Position {
    return { chunk: this.#chunks.length, index: 0 };
  }

  /** The position before `at`; `chunk: -1` before the first item. */
  #stepBack(at: Position): Position {
    if (at.index > 0) return { chunk: at.chunk, index: at.index - 1 };
    const chunk = at.chunk - 1;
    return { chunk, index: (this.#chunks[chunk]?.length ?? 1) - 1 };
  }

  /** The position of the first item whose key is not before `key` (the end if none). */
  #firstNotBefore(key: K): Position {
    return this.#find((item) => this.compare(item, key) >= 0);
  }

  /** The position of the first item whose key is after `key` (the end if none). */
  #firstAfter(key: K): Position {
    return this.#find((item) => this.compare(item, key) > 0);
  }

  /** The first position whose item passes `isPast`, which is false then true along the order. */
  #find(isPast: (item: T) => boolean): Position {
    const chunks = this.#chunks;
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = chunks[mid]!;
      if (isPast(chunk[chunk.length - 1]!)) hi = mid;
      else lo = mid + 1;
    }
    const chunk = chunks[lo];
    if (!chunk) return this.#end();
    let a = 0;
    let b = chunk.length - 1; // the chunk's last item passes
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (isPast(chunk[mid]!)) b = mid;
      else a = mid + 1;
    }
    return { chunk: lo, index: a };
  }
}
