/**
 * The memory store's ordered index: records leaving it oldest first (a retention sweep, eviction,
 * jobs finishing in about the order they were created) cost a few checks each — never a pass over
 * the whole index, which at a million jobs held the event loop for hundreds of milliseconds — and
 * the index still lists exactly the records that belong, wherever they leave from.
 */
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../src/sim/job-model.js';
import { OrderedIndex } from '../src/store/memory-index.js';
import { jobRecord, T0 } from './helpers/records.js';

const N = 20_000;

/** An index over a map of stored records, counting the checks each `left()` makes. */
function indexed(n: number) {
  const stored = new Map<string, JobRecord>();
  let checks = 0;
  const index = new OrderedIndex((r) => (checks++, stored.get(r.id) === r));
  const records = Array.from({ length: n }, (_, i) =>
    jobRecord(`job_${String(i).padStart(6, '0')}`, { createdAt: T0 + i }),
  );
  for (const r of records) {
    stored.set(r.id, r);
    index.add(r);
  }
  /** Deletes `r` as the store does: gone from the map, then the index is told. */
  const remove = (r: JobRecord) => {
    stored.delete(r.id);
    const before = checks;
    index.left();
    return checks - before;
  };
  const ids = (before?: JobRecord) => [...index.newestFirst(before)].map((r) => r.id);
  return { index, records, stored, remove, ids };
}

describe('memory store ordered index', () => {
  it('drops records leaving oldest first with a few checks each, never a pass over the index', () => {
    const { index, records, remove, ids } = indexed(N);
    let most = 0;
    for (const r of records.slice(0, N - 10)) most = Math.max(most, remove(r));
    expect(most).toBeLessThanOrEqual(2);
    expect(index.size).toBe(10);
    expect(ids()).toEqual(
      records
        .slice(N - 10)
        .map((r) => r.id)
        .reverse(),
    );
  });

  it('steps over records that left out of order once the one holding them up leaves', () => {
    const { index, records, remove, ids } = indexed(N);
    // The oldest job lasts: the ones after it leave first, then it does.
    for (const r of records.slice(1, 500)) expect(remove(r)).toBeLessThanOrEqual(2);
    expect(ids().at(-1)).toBe(records[0]!.id);
    remove(records[0]!);
    expect(index.size).toBe(N - 500);
    expect(ids().at(-1)).toBe(records[500]!.id);
    expect(ids()).toHaveLength(N - 500);
  });

  it('still lists exactly the records that belong after leaving from anywhere, and takes older ones in', () => {
    const { index, records, stored, remove, ids } = indexed(N);
    const gone = new Set<string>();
    for (let i = 0; i < N; i += 3) {
      remove(records[i]!);
      gone.add(records[i]!.id);
    }
    for (const r of records.slice(0, 5000)) {
      if (!gone.has(r.id)) {
        remove(r);
        gone.add(r.id);
      }
    }
    const left = records.filter((r) => !gone.has(r.id));
    expect(index.size).toBe(left.length);
    expect(ids()).toEqual(left.map((r) => r.id).reverse());
    // From a cursor: strictly older than it.
    const cursor = left[100]!;
    expect(ids(cursor)).toEqual(
      left
        .slice(0, 100)
        .map((r) => r.id)
        .reverse(),
    );
    // A record older than every one left (an out-of-order write) is listed in its place.
    const older = jobRecord('job_older', { createdAt: T0 - 1 });
    stored.set(older.id, older);
    index.add(older);
    expect(ids().at(-1)).toBe('job_older');
    expect(index.size).toBe(left.length + 1);
  });
});
