/**
 * The growth benchmark's quick mode, run by `npm test`: every store, every dataset and every
 * measurement runs end to end on a small store and reports sane numbers. No timing is asserted
 * (the machine running the suite is shared and noisy); the numbers belong in the README, from full
 * runs.
 */
import { describe, expect, it } from 'vitest';
import { needs } from '@vtrans/test-support';
import { DEPTHS, STATUS_FILTERS } from './lists.js';
import { QUICK, runStore, STORES } from './run.js';

const stores = STORES.filter((s) => s !== 'redis' || needs('redis', 'bench/growth on Redis'));

// The stores run side by side: quick mode checks that every step works, its numbers are not kept.
describe.concurrent.each(stores)('growth benchmark, %s store (quick mode)', (store) => {
  it('populates, restarts, lists, sweeps and measures', async () => {
    const r = await runStore(store, QUICK, () => {});
    expect(r.errors).toEqual([]);
    const jobs = QUICK.jobs;
    for (const start of [r.pending.start!, r.finishedWhileDown.start!]) {
      expect(start, start.error).toMatchObject({ started: true });
      expect(start.readyMs).toBeGreaterThanOrEqual(start.liveMs);
      expect(start.stallMs).toBeGreaterThanOrEqual(0);
    }
    // Ready means caught up: every job that finished while the server was down has its event.
    expect(r.finishedWhileDown.start!.terminalWrittenAtReady).toBeGreaterThanOrEqual(jobs);
    expect(r.emptyHeapBytes).toBeGreaterThan(0);
    // Measured: at 1,000 jobs (~200 KB) the difference between two processes' heaps is within
    // their own noise (a few hundred KB either way), so only its being a number is checked.
    expect(Number.isFinite(r.pending.heapPerJobBytes)).toBe(true);
    expect(r.finished.storagePerJobBytes).toBeGreaterThan(0);
    // At this size the scheduler has read every job by the first look: the lists wait for it.
    const loading = r.pending.listsWhileLoading!;
    expect(loading.loadedAfterMs).toBeGreaterThanOrEqual(0);
    expect(loading.stallMs).toBeGreaterThanOrEqual(0);
    for (const lists of [r.pending.lists!, r.finished.lists!]) {
      expect(Object.keys(lists)).toHaveLength(STATUS_FILTERS.length * DEPTHS.length);
      for (const summary of Object.values(lists)) {
        expect(summary.count).toBeGreaterThan(0);
        expect(summary.p99Ms).toBeGreaterThanOrEqual(summary.p50Ms);
      }
    }
    const sweep = r.finished.sweep!;
    expect(sweep.deleted).toBe(jobs);
    expect(sweep.wakes).toMatchObject({ count: QUICK.sweepWakers, errors: 0 });
    expect(sweep.healthz.failures).toBe(0);
    expect(sweep.healthz.count).toBeGreaterThan(0);
    if (store === 'sqlite') expect(sweep.fileBytesSettled).toBeGreaterThan(0);
  }, 90_000);
});
