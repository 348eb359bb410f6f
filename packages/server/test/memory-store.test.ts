/**
 * The memory store's bound (`VT_MEMORY_MAX_JOBS`): past it, the job that finished longest ago makes
 * room; while every job is pending, a new one is refused with 503 `store_full`.
 */
import { describe, expect, it } from 'vitest';
import { eventForStep } from '../src/sim/job-events.js';
import { TERMINAL_STEP, type JobRecord } from '../src/sim/job-model.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { StoreFullError } from '../src/store/types.js';
import { jobRecord, T0 } from './helpers/records.js';
import { allUnfinished } from './helpers/store-backends.js';
import { startTestServer } from './helpers/server.js';

async function create(store: MemoryStore, rec: JobRecord, key?: string) {
  return store.createJob(
    rec,
    eventForStep(rec, 0, rec.createdAt),
    key ? { key, fingerprint: `fp-${key}` } : undefined,
  );
}

async function finish(store: MemoryStore, rec: JobRecord) {
  await store.emitSteps([
    { id: rec.id, step: TERMINAL_STEP, event: eventForStep(rec, TERMINAL_STEP, rec.finishAt) },
  ]);
}

describe('the memory store is bounded', () => {
  it('evicts the job that finished longest ago, never a kept one, with its events and key', async () => {
    const store = new MemoryStore({ maxJobs: 3, keepIds: ['job_kept'] });
    const kept = jobRecord('job_kept', { finishAt: T0 + 100 });
    const early = jobRecord('job_early', { createdAt: T0 + 1, finishAt: T0 + 500 });
    const late = jobRecord('job_late', { createdAt: T0 + 2, finishAt: T0 + 300 });
    await create(store, kept);
    await create(store, early, 'key-early');
    await create(store, late);
    // Finished in another order than created: "longest ago" is by the end.
    for (const r of [kept, late, early]) await finish(store, r);
    const next = jobRecord('job_next', { createdAt: T0 + 3 });
    expect((await create(store, next)).kind).toBe('created');
    expect(await store.getJob('job_late')).toBeNull();
    expect(await store.getJob('job_kept')).not.toBeNull();
    expect(await store.getJob('job_early')).not.toBeNull();
    const events = await store.readEvents('acme', undefined, 100);
    expect(events.some((e) => e.jobId === 'job_late')).toBe(false);
    expect(await store.listJobs({ tenant: 'acme', limit: 10, now: T0 + 1000 })).toHaveLength(3);
    // The next to go is the early one; its key then makes a new job instead of a replay.
    const another = jobRecord('job_another', { createdAt: T0 + 4 });
    await create(store, another);
    expect(await store.getJob('job_early')).toBeNull();
    await finish(store, next);
    const reuse = jobRecord('job_reuse', { createdAt: T0 + 5 });
    expect((await create(store, reuse, 'key-early')).kind).toBe('created');
  });

  it('refuses a new job while every job is still pending', async () => {
    const store = new MemoryStore({ maxJobs: 2 });
    await create(store, jobRecord('job_a', { finishAt: T0 + 60_000 }));
    await create(store, jobRecord('job_b', { finishAt: T0 + 60_000 }));
    await expect(create(store, jobRecord('job_c'))).rejects.toBeInstanceOf(StoreFullError);
    expect(await store.getJob('job_c')).toBeNull();
  });

  it('answers 503 store_full with Retry-After over HTTP when full of pending jobs', async () => {
    // The server's default job (`/status`) is drawn in memory, not stored: only created jobs count.
    const srv = await startTestServer({ memoryMaxJobs: 2 });
    const post = () =>
      fetch(`${srv.url}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ simulate: { duration_ms: 600_000 } }),
      });
    const statuses: number[] = [];
    let refused: Response | undefined;
    for (let i = 0; i < 3; i++) {
      const res = await post();
      statuses.push(res.status);
      if (res.status === 503) refused = res;
    }
    expect(statuses).toEqual([201, 201, 503]);
    expect(refused?.headers.get('retry-after')).toBe('1');
    expect(((await refused!.json()) as { code: string }).code).toBe('store_full');
  });
});

describe('the memory store hands out its work list', () => {
  it('oldest first within a tenant, only unfinished jobs, across pages', async () => {
    const store = new MemoryStore();
    // Ids in another order than creation: the walk follows creation, not ids or insertion shards.
    const recs = Array.from({ length: 300 }, (_, i) =>
      jobRecord(`job_${String((i * 7919) % 1000).padStart(4, '0')}`, {
        createdAt: T0 + i,
        finishAt: T0 + 60_000 + i,
      }),
    );
    for (const r of recs) await create(store, r);
    for (const r of recs.filter((_, i) => i % 10 === 0)) await finish(store, r);
    // Pages of 25; the helper keeps the order the ids were first seen in.
    const seen = (await allUnfinished(store, 25)).map((r) => r.id);
    expect(seen).toEqual(recs.filter((_, i) => i % 10 !== 0).map((r) => r.id));
  });
});
