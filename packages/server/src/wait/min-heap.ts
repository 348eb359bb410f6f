/**
 * A binary min-heap ordered by `at`. Its items are kept in fixed-size blocks rather than one
 * array: an array of a million items copies itself whenever it grows, holding the event loop for
 * tens of milliseconds; a block is allocated (or dropped) without touching the others.
 */
export interface HeapEntry {
  at: number;
}

const BLOCK_BITS = 12;
const BLOCK = 1 << BLOCK_BITS;
const MASK = BLOCK - 1;

export class MinHeap<T extends HeapEntry> {
  readonly #blocks: T[][] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  peek(): T | undefined {
    return this.#size > 0 ? this.#at(0) : undefined;
  }

  push(item: T): void {
    let i = this.#size++;
    if ((i & MASK) === 0 && this.#blocks.length <= i >> BLOCK_BITS) this.#blocks.push([]);
    // Sift up: move parents later than the item down, then place it.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = this.#at(parent);
      if (above.at <= item.at) break;
      this.#put(i, above);
      i = parent;
    }
    this.#put(i, item);
  }

  pop(): T | undefined {
    if (this.#size === 0) return undefined;
    const top = this.#at(0);
    const n = --this.#size;
    const last = this.#at(n);
    this.#clear(n);
    if (n > 0) {
      // Sift down from the root with the last item.
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let child = l;
        let childItem = this.#at(l);
        if (r < n) {
          const right = this.#at(r);
          if (right.at < childItem.at) {
            child = r;
            childItem = right;
          }
        }
        if (childItem.at >= last.at) break;
        this.#put(i, childItem);
        i = child;
      }
      this.#put(i, last);
    }
    return top;
  }

  /**
   * Visits the items with `at <= max`, in no particular order, without looking below an item
   * later than that; stops early when `visit` returns false.
   */
  visitUpTo(max: number, visit: (item: T) => boolean): void {
    const stack = [0];
    for (let i = stack.pop(); i !== undefined; i = stack.pop()) {
      if (i >= this.#size) continue;
      const item = this.#at(i);
      if (item.at > max) continue;
      if (!visit(item)) return;
      stack.push(2 * i + 1, 2 * i + 2);
    }
  }

  #at(i: number): T {
    return this.#blocks[i >> BLOCK_BITS]![i & MASK]!;
  }

  #put(i: number, item: T): void {
    this.#blocks[i >> BLOCK_BITS]![i & MASK] = item;
  }

  /** Forgets slot `i` (the last): its block is dropped once empty. */
  #clear(i: number): void {
    const block = this.#blocks[i >> BLOCK_BITS]!;
    block.pop();
    if (block.length === 0) this.#blocks.pop();
  }
}
