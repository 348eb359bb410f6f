/**
 * The store contract, part two: lifecycle steps, the event log, notices, retention and the
 * connection. Every backend (memory, SQLite, Redis) must behave the same.
 */
import { describe, expect, it } from 'vitest';
import { eventForStep } from '../src/sim/job-events.js';
import { TERMINAL_STEP, type JobRecord } from '../src/sim/job-model.js';
import { compareEventIds, type StoreNotice, type Store } from '../src/store/types.js';
import { STORE_BACKENDS } from './helpers/store-backends.js';
import { jobRecord, T0 } from './helpers/records.js';

const created = (r: JobRecord) => eventForStep(r, 0, r.createdAt);

async function create(store: Store, rec: JobRecord): Promise<string> {
  const result = await store.createJob(rec, created(rec));
  if (result.kind !== 'created') throw new Error(`not created: ${result.kind}`);
  return result.event.id;
}

const step = (rec: JobRecord, n: number, at: number) => ({
  id: rec.id,
  step: n,
  event: eventForStep(rec, n, at),
});

describe.each(STORE_BACKENDS)('the $name store: events', ({ available, open, traits }) => {
  describe.skipIf(!available)('', () => {
    it('writes each step once: a step no further than the one written is skipped', async () => {
      const store = await open();
      const a = jobRecord('job_a');
      const b = jobRecord('job_b', { createdAt: T0 + 1, finishAt: T0 + 2000 });
      await create(store, a);
      await create(store, b);
      const written = await store.emitSteps([step(a, 2, T0 + 300), step(b, 1, T0 + 200)]);
      expect(written.map((e) => [e.jobId, e.type])).toEqual([
        ['job_a', 'job.updated'],
        ['job_b', 'job.updated'],
      ]);
      expect(written[0]).toMatchObject({
        ...step(a, 2, T0 + 300).event,
        id: expect.stringMatching(/^\d+-\d+$/),
      });
      expect(await store.emitSteps([step(a, 2, T0 + 300), step(a, 1, T0 + 100)])).toEqual([]);
      expect(await store.emitSteps([step(jobRecord('job_missing'), 1, T0)])).toEqual([]);
      expect(await store.emitSteps([])).toEqual([]);
      expect((await store.getJob('job_a'))?.emittedStep).toBe(2);
      const terminal = await store.emitSteps([step(a, TERMINAL_STEP, T0 + 1000)]);
      expect(terminal.map((e) => e.type)).toEqual(['job.completed']);
      expect(await store.emitSteps([step(a, TERMINAL_STEP, T0 + 1000)])).toEqual([]);
      expect((await store.getJob('job_a'))?.emittedStep).toBe(TERMINAL_STEP);
    });

    it("reads a tenant's events in the order written, after an id (exclusive), as written", async () => {
      const store = await open();
      const a = jobRecord('job_a', { finishAt: T0 + 60_000 });
      const b = jobRecord('job_b', { createdAt: T0 + 1, finishAt: T0 + 60_000 });
      const other = jobRecord('job_x', { tenant: 'globex' });
      await create(store, a);
      await create(store, other);
      await create(store, b);
      await store.emitSteps([step(a, 1, T0 + 3000)]);
      // Canceled after its update: the update still shows the job as it was then.
      await store.cancelJob('job_a', T0 + 4000, (r) => eventForStep(r, TERMINAL_STEP, T0 + 4000));
      const all = await store.readEvents('acme', undefined, 100);
      expect(all.map((e) => [e.jobId, e.type])).toEqual([
        ['job_a', 'job.created'],
        ['job_b', 'job.created'],
        ['job_a', 'job.updated'],
        ['job_a', 'job.canceled'],
      ]);
      for (let i = 1; i < all.length; i++)
        expect(compareEventIds(all[i - 1]!.id, all[i]!.id)).toBeLessThan(0);
      expect(all[0]).toMatchObject({ ...created(a), tenant: 'acme' });
      expect(all[2]).toMatchObject(step(a, 1, T0 + 3000).event);
      expect(all[2]?.data).toMatchObject({ status: 'pending', stage: 'transcribing' });
      expect(all[3]?.data).toMatchObject({
        status: 'canceled',
        completed_at: new Date(T0 + 4000).toISOString(),
      });
      expect(await store.readEvents('acme', all[1]!.id, 100)).toEqual(all.slice(2));
      expect(await store.readEvents('acme', all[0]!.id, 2)).toEqual(all.slice(1, 3));
      expect(await store.readEvents('acme', all[3]!.id, 100)).toEqual([]);
      expect(await store.readEvents('acme', 'not-an-id', 1)).toEqual(all.slice(0, 1));
      expect((await store.readEvents('globex', undefined, 100)).map((e) => e.jobId)).toEqual([
        'job_x',
      ]);
      expect(await store.readEvents('nobody', undefined, 100)).toEqual([]);
    });

    it("announces every write's event to subscribers until they unsubscribe", async () => {
      const store = await open();
      const seen: StoreNotice[] = [];
      const off = store.subscribe((n) => seen.push(n));
      const all: StoreNotice[] = [];
      const offAll = store.subscribe((n) => all.push(n));
      const a = jobRecord('job_a', { finishAt: T0 + 60_000 });
      const createdId = await create(store, a);
      const [updated] = await store.emitSteps([step(a, 1, T0 + 3000)]);
      const canceled = await store.cancelJob('job_a', T0 + 4000, (r) =>
        eventForStep(r, TERMINAL_STEP, T0 + 4000),
      );
      if (canceled.kind !== 'canceled') throw new Error(canceled.kind);
      const expected = [createdId, updated!.id, canceled.event.id];
      await expect.poll(() => seen.map((n) => n.event.id)).toEqual(expected);
      expect(seen.map((n) => n.kind)).toEqual(['event', 'event', 'event']);
      expect(seen[1]?.event).toEqual(updated);
      expect(seen[2]?.event).toEqual(canceled.event);
      off();
      const b = jobRecord('job_b');
      const later = await create(store, b);
      await expect.poll(() => all.map((n) => n.event.id)).toContain(later);
      expect(seen.map((n) => n.event.id)).toEqual(expected);
      offAll();
      if (!traits.noticesAsync) {
        // In-process stores announce within the write itself.
        const sync: string[] = [];
        const offSync = store.subscribe((n) => sync.push(n.event.jobId));
        await store.emitSteps([step(b, 1, T0 + 200)]);
        expect(sync).toEqual(['job_b']);
        offSync();
      }
    });

    it('purges finished jobs that ended before the cutoff, never unfinished, kept or newer ones', async () => {
      const store = await open();
      const finished = (id: string, endAt: number, more: Partial<JobRecord> = {}) =>
        jobRecord(id, { createdAt: endAt - 1000, finishAt: endAt, ...more });
      const old = finished('job_old', T0 - 4000);
      const kept = finished('job_kept', T0 - 4000);
      const recent = finished('job_recent', T0 + 10);
      const unwritten = finished('job_unwritten', T0 - 4000);
      const longRunning = jobRecord('job_long', { createdAt: T0 - 9000, finishAt: T0 + 60_000 });
      const canceledEarly = jobRecord('job_canceled', {
        createdAt: T0 - 9000,
        finishAt: T0 + 60_000,
      });
      for (const r of [old, kept, recent, unwritten, longRunning, canceledEarly])
        await create(store, r);
      await store.emitSteps([old, kept, recent].map((r) => step(r, TERMINAL_STEP, r.finishAt)));
      await store.cancelJob('job_canceled', T0 - 8000, (r) =>
        eventForStep(r, TERMINAL_STEP, T0 - 8000),
      );
      expect(await store.purgeExpired(T0, ['job_kept'])).toBe(2);
      expect(await store.getJob('job_old')).toBeNull();
      expect(await store.getJob('job_canceled')).toBeNull();
      for (const id of ['job_kept', 'job_recent', 'job_unwritten', 'job_long'])
        expect(await store.getJob(id), id).not.toBeNull();
      const listed = (await store.listJobs({ tenant: 'acme', limit: 10, now: T0 })).map(
        (r) => r.id,
      );
      expect(listed.sort()).toEqual(['job_kept', 'job_long', 'job_recent', 'job_unwritten']);
      expect(await store.purgeExpired(T0, ['job_kept'])).toBe(0);
      // Events at or after the cutoff stay; older ones go (Redis trims its streams approximately).
      const events = await store.readEvents('acme', undefined, 100);
      expect(events.map((e) => [e.jobId, e.type])).toContainEqual(['job_recent', 'job.completed']);
      if (traits.trimsEventsExactly) expect(events.filter((e) => e.at < T0)).toEqual([]);
    });

    it('forgets idempotency keys older than the cutoff, so the key makes a new job', async () => {
      const store = await open();
      const first = jobRecord('job_1', { createdAt: T0 - 5000, finishAt: T0 - 4000 });
      const idem = { key: 'k-1', fingerprint: 'fp-a' };
      await store.createJob(first, created(first), idem);
      await store.purgeExpired(T0, []);
      const second = jobRecord('job_2');
      const again = await store.createJob(second, created(second), idem);
      // Redis drops a key when its TTL (the retention, on real time) runs out instead.
      expect(again.kind).toBe(traits.idempotencyKeysExpireByTtl ? 'replayed' : 'created');
    });

    it('answers ping while open and closes cleanly (twice is fine)', async () => {
      const store = await open();
      await expect(store.ping()).resolves.toBeUndefined();
      await store.close();
      await store.close();
    });
  });
});
