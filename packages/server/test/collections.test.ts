import { describe, expect, it } from 'vitest';
import { ChunkedQueue } from '../src/collections/chunked-queue.js';
import { ShardedMap } from '../src/collections/sharded-map.js';
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
