/**
 * The memory store's ordered index: records enter and leave at their place in (createdAt, id)
 * order — appended, filed into the middle, removed from anywhere — and the index lists exactly
 * the records it holds, newest first from any cursor. A walk (the scheduler's read of unfinished
 * jobs) goes on correctly while jobs leave and arrive between its steps.
 */
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../src/sim/job-model.js';
import { OrderedIndex } from '../src/store/memory-index.js';
import { jobRecord, T0 } from './helpers/records.js';

const N = 20_000;

function indexed(n: number) {
  const index = new OrderedIndex();
  const records = Array.from({ length: n }, (_, i) =>
    jobRecord(`job_${String(i).padStart(6, '0')}`, { createdAt: T0 + i }),
  );
  for (const r of records) index.add(r);
  const ids = (before?: JobRecord) => [...index.newestFirst(before)].map((r) => r.id);
  return { index, records, ids };
}

describe('memory store ordered index', () => {
  it('lists exactly the records left after removals from the front, the middle and the back', () => {
    const { index, records, ids } = indexed(N);
    const gone = new Set<string>();
    const remove = (r: JobRecord) => {
      index.remove(r);
      gone.add(r.id);
    };
    for (const r of records.slice(0, 5000)) remove(r);
    for (let i = 5000; i < N; i += 3) remove(records[i]!);
    for (const r of records.slice(N - 100)) if (!gone.has(r.id)) remove(r);
    const left = records.filter((r) => !gone.has(r.id));
    expect(index.size).toBe(left.length);
    expect(ids()).toEqual(left.map((r) => r.id).reverse());
    expect([...index.oldestFirst()].map((r) => r.id)).toEqual(left.map((r) => r.id));
    // From a cursor: strictly older than it, whether or not the cursor's record is still here.
    const cursor = left[100]!;
    expect(ids(cursor)).toEqual(
      left
        .slice(0, 100)
        .map((r) => r.id)
        .reverse(),
    );
    index.remove(cursor);
    expect(ids(cursor)).toHaveLength(100);
  });

  it('files records that arrive out of order in their place, same instant ordered by id', () => {
    const { index, records, ids } = indexed(N);
    // Jobs that ended out of order arrive in an ended index's middle, many at one instant.
    const late = Array.from({ length: 3000 }, (_, i) =>
      jobRecord(`job_late_${String(i).padStart(4, '0')}`, { createdAt: T0 + ((i * 7) % N) }),
    );
    for (const r of late) index.add(r);
    const all = [...records, ...late].sort(
      (a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1),
    );
    expect(index.size).toBe(all.length);
    expect(ids()).toEqual(all.map((r) => r.id).reverse());
  });

  it('a walk oldest first meets every record there throughout, once, while others come and go', () => {
    const { index, records } = indexed(N);
    const seen: string[] = [];
    let i = 0;
    for (const r of index.oldestFirst()) {
      seen.push(r.id);
      // Between steps, as a catch-up does: the walked job and one ahead of it leave.
      index.remove(r);
      const ahead = records[(i += 2)];
      if (ahead) index.remove(ahead);
    }
    expect(new Set(seen).size).toBe(seen.length);
    // Job 0, then every odd one: each even one was removed (as "ahead") before the walk reached it.
    expect(seen).toEqual(records.filter((_, k) => k === 0 || k % 2 === 1).map((r) => r.id));
    expect(index.size).toBe(0);
  });
});
