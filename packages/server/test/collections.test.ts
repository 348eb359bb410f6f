import { describe, expect, it } from 'vitest';
import { ChunkedQueue } from '../src/collections/chunked-queue.js';
import { ShardedMap } from '../src/collections/sharded-map.js';
import { SortedChunks } from '../src/collections/sorted-chunks.js';
import { MinHeap } from '../src/wait/min-heap.js';

/** A small deterministic generator, so a failure repeats. */
function lcg(seed: number): () => number {
  let x = seed;
  return () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

describe('MinHeap', () => {
  it('pops items in order of `at` across many blocks, with pushes and pops interleaved', () => {
    const random = lcg(7);
    const heap = new MinHeap<{ at: number; n: number }>();
    const model: number[] = [];
    for (let round = 0; round < 30_000; round++) {
      // Mostly pushes, so the heap spans several 4,096-item blocks, then drains.
      if (round < 20_000 ? random() < 0.8 : random() < 0.1) {
        const at = Math.floor(random() * 1000);
        heap.push({ at, n: round });
        model.push(at);
      } else {
        model.sort((a, b) => a - b);
        expect(heap.pop()?.at).toBe(model.shift());
      }
      expect(heap.size).toBe(model.length);
    }
    model.sort((a, b) => a - b);
    const rest: number[] = [];
    for (let item = heap.pop(); item; item = heap.pop()) rest.push(item.at);
    expect(rest).toEqual(model);
    expect(heap.peek()).toBeUndefined();
    expect(heap.pop()).toBeUndefined();
  });

  it('visits exactly the items due by an instant', () => {
    const heap = new MinHeap<{ at: number }>();
    for (let i = 0; i < 10_000; i++) heap.push({ at: (i * 7919) % 10_000 });
    const seen: number[] = [];
    heap.visitUpTo(99, (item) => (seen.push(item.at), true));
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    let visits = 0;
    heap.visitUpTo(99, () => ++visits < 3);
    expect(visits).toBe(3);
  });
});

describe('ShardedMap', () => {
  it('behaves as a Map: set, get, has, delete, size and every entry once', () => {
    const map = new ShardedMap<number>();
    const model = new Map<string, number>();
    const random = lcg(11);
    for (let i = 0; i < 20_000; i++) {
      const key = `job_${Math.floor(random() * 5000).toString(32)}`;
      if (random() < 0.7) {
        map.set(key, i);
        model.set(key, i);
      } else {
        expect(map.delete(key)).toBe(model.delete(key));
      }
    }
    expect(map.size).toBe(model.size);
    for (const [key, value] of model) {
      expect(map.get(key)).toBe(value);
      expect(map.has(key)).toBe(true);
    }
    expect(map.get('job_absent')).toBeUndefined();
    expect(new Map(map)).toEqual(model);
    expect([...map.values()].sort()).toEqual([...model.values()].sort());
  });

  it('spreads ids that differ only in their last characters over many shards', () => {
    // Visible through iteration order: consecutive ids do not come out consecutively.
    const map = new ShardedMap<number>();
    for (let i = 0; i < 1000; i++) map.set(`job_${String(i).padStart(20, '0')}`, i);
    const order = [...map.values()];
    const inOrder = order.filter((v, i) => i > 0 && v === order[i - 1]! + 1).length;
    expect(inOrder).toBeLessThan(500);
  });

  it('lets entries be deleted while iterating', () => {
    const map = new ShardedMap<number>();
    for (let i = 0; i < 1000; i++) map.set(`k${i}`, i);
    for (const [key, value] of map) if (value % 2 === 0) map.delete(key);
    expect(map.size).toBe(500);
    expect([...map.values()].every((v) => v % 2 === 1)).toBe(true);
  });

  it('given a capacity, stays within it and lets the entries set longest ago leave first', () => {
    const id = (i: number) =>
      `job_${(0x10000000 + i * 7919).toString(36)}${i.toString(36).padStart(4, '0')}`;
    const map = new ShardedMap<number>(20_000);
    for (let i = 0; i < 100_000; i++) map.set(id(i), i);
    // Each of the 256 shards keeps its share (78), so a few short of the capacity.
    expect(map.size).toBeLessThanOrEqual(20_000);
    expect(map.size).toBeGreaterThan(20_000 - 256);
    expect(new Map(map).size).toBe(map.size);
    // Oldest first shard by shard: the newest 10,000 all stay, nothing older than 30,000 does.
    for (let i = 90_000; i < 100_000; i++) expect(map.has(id(i))).toBe(true);
    expect(Math.min(...map.values())).toBeGreaterThan(70_000);
    // Deleted and set again, the oldest entry left becomes the newest: 5,000 later it is kept,
    // while the next oldest, left alone, is gone.
    const [oldest, nextOldest] = [...map.values()].sort((a, b) => a - b);
    map.delete(id(oldest!));
    map.set(id(oldest!), oldest!);
    for (let i = 100_000; i < 105_000; i++) map.set(id(i), i);
    expect(map.has(id(oldest!))).toBe(true);
    expect(map.has(id(nextOldest!))).toBe(false);
  });

  it('with a small capacity, is one shard: exactly the entries set longest ago leave', () => {
    const map = new ShardedMap<number>(3);
    for (const [i, key] of ['a', 'b', 'c', 'd', 'e'].entries()) map.set(key, i);
    expect([...map]).toEqual([
      ['c', 2],
      ['d', 3],
      ['e', 4],
    ]);
    map.clear();
    expect(map.size).toBe(0);
    expect([...map]).toEqual([]);
  });
});

describe('ChunkedQueue', () => {
  it('takes items first in, first out across chunks, with pushes between takes', () => {
    const queue = new ChunkedQueue<number>();
    let pushed = 0;
    let taken = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 700; i++) queue.push(pushed++);
      const batch = queue.take(500);
      expect(batch).toEqual(Array.from({ length: batch.length }, (_, i) => taken + i));
      taken += batch.length;
      expect(queue.length).toBe(pushed - taken);
    }
    const rest = queue.take(Infinity);
    expect(rest).toEqual(Array.from({ length: pushed - taken }, (_, i) => taken + i));
    expect(queue.length).toBe(0);
    expect(queue.take(10)).toEqual([]);
  });
});

describe('SortedChunks', () => {
  const compare = (a: number, b: number) => a - b;

  it('keeps items sorted across many chunks through random inserts and removals', () => {
    const random = lcg(11);
    const sorted = new SortedChunks<number, number>(compare);
    const model = new Set<number>();
    for (let round = 0; round < 20_000; round++) {
      const key = Math.floor(random() * 5000) * 2;
      // Mostly inserts anywhere (splitting chunks), some removals (of present and absent keys).
      if (random() < 0.7) {
        if (!model.has(key)) {
          sorted.add(key);
          model.add(key);
        }
      } else {
        expect(sorted.remove(key)).toBe(model.delete(key));
      }
      expect(sorted.size).toBe(model.size);
    }
    const expected = [...model].sort(compare);
    expect([...sorted.ascending()]).toEqual(expected);
    expect([...sorted.descending()]).toEqual([...expected].reverse());
    // From a key, present or not: strictly after it / strictly before it.
    for (const from of [-1, 0, expected[100]!, expected[100]! + 1, 10_001]) {
      expect([...sorted.ascending(from)]).toEqual(expected.filter((k) => k > from));
      expect([...sorted.descending(from)]).toEqual([...expected].reverse().filter((k) => k < from));
    }
  });

  it('drops a chunk emptied at the front and takes appends after it', () => {
    const sorted = new SortedChunks<number, number>(compare);
    for (let i = 0; i < 3000; i++) sorted.add(i);
    for (let i = 0; i < 2500; i++) expect(sorted.remove(i)).toBe(true);
    for (let i = 3000; i < 3100; i++) sorted.add(i);
    const expected = Array.from({ length: 600 }, (_, i) => 2500 + i);
    expect([...sorted.ascending()]).toEqual(expected);
    expect([...sorted.descending()]).toEqual(expected.reverse());
  });

  it('walks survive changes between steps: nothing given twice, nothing there throughout skipped', () => {
    const random = lcg(5);
    for (const direction of ['ascending', 'descending'] as const) {
      const sorted = new SortedChunks<number, number>(compare);
      const present = new Set<number>();
      for (let i = 0; i < 6000; i++) {
        sorted.add(i * 2);
        present.add(i * 2);
      }
      const throughout = new Set(present);
      const given: number[] = [];
      for (const item of sorted[direction]()) {
        given.push(item);
        // Between steps: remove a few (possibly the one just given, or ones ahead), add a few.
        for (let k = 0; k < 3; k++) {
          const key = Math.floor(random() * 12_000);
          if (present.has(key) && random() < 0.5) {
            sorted.remove(key);
            present.delete(key);
            throughout.delete(key);
          } else if (!present.has(key)) {
            sorted.add(key);
            present.add(key);
          }
        }
      }
      const order = direction === 'ascending' ? 1 : -1;
      for (let i = 1; i < given.length; i++)
        expect((given[i]! - given[i - 1]!) * order).toBeGreaterThan(0);
      const givenSet = new Set(given);
      expect(givenSet.size).toBe(given.length);
      for (const key of throughout) expect(givenSet.has(key), `${key} given`).toBe(true);
    }
  });
});
