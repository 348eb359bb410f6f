/** A binary min-heap ordered by `at`. */
export interface HeapEntry {
  at: number;
}

export class MinHeap<T extends HeapEntry> {
  readonly #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    const items = this.#items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]!.at <= items[i]!.at) break;
      [items[parent], items[i]] = [items[i]!, items[parent]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < items.length && items[l]!.at < items[smallest]!.at) smallest = l;
        if (r < items.length && items[r]!.at < items[smallest]!.at) smallest = r;
        if (smallest === i) break;
        [items[smallest], items[i]] = [items[i]!, items[smallest]!];
        i = smallest;
      }
    }
    return top;
  }

  /**
   * Visits the items with `at <= max`, in no particular order, without looking below an item
   * later than that; stops early when `visit` returns false.
   */
  visitUpTo(max: number, visit: (item: T) => boolean): void {
    const items = this.#items;
    const stack = [0];
    for (let i = stack.pop(); i !== undefined; i = stack.pop()) {
      const item = items[i];
      if (item === undefined || item.at > max) continue;
      if (!visit(item)) return;
      stack.push(2 * i + 1, 2 * i + 2);
    }
  }
}
