/**
 * The store contract, part one: jobs. Every backend (memory, SQLite, Redis) must behave the same
 * for creating, reading, listing and canceling jobs, and for the scheduler's work list.
 */
import { describe, expect, it } from 'vitest';
import { eventForStep } from '../src/sim/job-events.js';
import { TERMINAL_STEP, type JobRecord } from '../src/sim/job-model.js';
import type { Store } from '../src/store/types.js';
import { allUnfinished, STORE_BACKENDS } from './helpers/store-backends.js';
import { jobRecord, T0 } from './helpers/records.js';

const created = (r: JobRecord) => eventForStep(r, 0, r.createdAt);

async function create(store: Store, rec: JobRecord): Promise<void> {
  expect((await store.createJob(rec, created(rec))).kind).toBe('created');
}

const ids = (records: readonly { id: string }[]) => records.map((r) => r.id);

describe.each(STORE_BACKENDS)('the $name store: jobs', ({ available, open }) => {
  describe.skipIf(!available)('', () => {
    it('creates a job with its job.created event and reads back exactly the record written', async () => {
      const store = await open();
      const rec = jobRecord('job_a', {
        sourceUrl: 'https://example.com/v.mp4',
        targetLanguage: 'de',
        callbackUrl: 'https://hooks.example.com/x',
        callbackEvents: ['job.completed'],
      });
      const result = await store.createJob(rec, created(rec));
      expect(result).toMatchObject({ kind: 'created', record: rec });
      if (result.kind !== 'created') return;
      expect(result.event).toMatchObject({
        ...created(rec),
        id: expect.stringMatching(/^\d+-\d+$/),
      });
      expect(await store.getJob('job_a')).toEqual(rec);
      expect(await store.getJob('job_missing')).toBeNull();
    });

    it('refuses a second job with the same id, keeping the first', async () => {
      const store = await open();
      await create(store, jobRecord('job_a'));
      const again = jobRecord('job_a', { outcome: 'error', createdAt: T0 + 5 });
      await expect(store.createJob(again, created(again))).rejects.toThrow();
      expect(await store.getJob('job_a')).toEqual(jobRecord('job_a'));
      expect((await store.readEvents('acme', undefined, 10)).map((e) => e.type)).toEqual([
        'job.created',
      ]);
    });

    it('keeps what it stored when a caller changes a record it was given', async () => {
      const store = await open();
      const rec = jobRecord('job_a', { callbackEvents: ['job.completed'] });
      await create(store, rec);
      rec.outcome = 'error';
      const read = (await store.getJob('job_a'))!;
      try {
        read.canceledAt = 1;
        read.callbackEvents?.push('job.failed');
      } catch {
        // A store may hand out frozen records instead of copies.
      }
      expect(await store.getJob('job_a')).toMatchObject({
        outcome: 'completed',
        canceledAt: null,
        callbackEvents: ['job.completed'],
      });
    });

    it('replays an idempotency key with the same fingerprint, refuses another, per tenant', async () => {
      const store = await open();
      const first = jobRecord('job_1');
      const idem = { key: 'k-1', fingerprint: 'fp-a' };
      expect((await store.createJob(first, created(first), idem)).kind).toBe('created');
      const second = jobRecord('job_2', { createdAt: T0 + 5 });
      expect(await store.createJob(second, created(second), idem)).toEqual({
        kind: 'replayed',
        response: created(first).data,
      });
      expect(await store.getJob('job_2')).toBeNull();
      expect(
        await store.createJob(second, created(second), { ...idem, fingerprint: 'fp-b' }),
      ).toEqual({
        kind: 'conflict',
      });
      const elsewhere = jobRecord('job_3', { tenant: 'globex' });
      expect((await store.createJob(elsewhere, created(elsewhere), idem)).kind).toBe('created');
    });

    it('reads several jobs at once, leaving out the missing ones', async () => {
      const store = await open();
      for (const id of ['job_a', 'job_b', 'job_c']) await create(store, jobRecord(id));
      const found = await store.getJobs(['job_c', 'job_missing', 'job_a']);
      expect(ids(found).sort()).toEqual(['job_a', 'job_c']);
      expect(found.find((r) => r.id === 'job_c')).toEqual(jobRecord('job_c'));
      expect(await store.getJobs([])).toEqual([]);
    });

    it("lists a tenant's jobs newest first, ties broken by id, paged by keyset", async () => {
      const store = await open();
      const recs = [
        jobRecord('job_a', { createdAt: T0 + 10 }),
        jobRecord('job_b', { createdAt: T0 + 20 }),
        jobRecord('job_c', { createdAt: T0 + 20 }),
        jobRecord('job_d', { createdAt: T0 + 30 }),
        jobRecord('job_e', { createdAt: T0 + 40, tenant: 'globex' }),
      ];
      for (const r of recs) await create(store, r);
      const now = T0;
      expect(ids(await store.listJobs({ tenant: 'acme', limit: 10, now }))).toEqual([
        'job_d',
        'job_c',
        'job_b',
        'job_a',
      ]);
      expect(ids(await store.listJobs({ tenant: 'acme', limit: 2, now }))).toEqual([
        'job_d',
        'job_c',
      ]);
      const before = { createdAt: T0 + 20, id: 'job_c' };
      expect(ids(await store.listJobs({ tenant: 'acme', limit: 10, now, before }))).toEqual([
        'job_b',
        'job_a',
      ]);
      expect(
        ids(
          await store.listJobs({
            tenant: 'acme',
            limit: 10,
            now,
            before: { createdAt: T0, id: 'z' },
          }),
        ),
      ).toEqual([]);
      expect(ids(await store.listJobs({ tenant: 'globex', limit: 10, now }))).toEqual(['job_e']);
      expect(await store.listJobs({ tenant: 'nobody', limit: 10, now })).toEqual([]);
    });

    it('filters by the status at the listing instant, even before a terminal event is written', async () => {
      const store = await open();
      // Nothing but creation is written: status comes from the record and the clock.
      await create(store, jobRecord('job_done', { createdAt: T0 + 1, finishAt: T0 + 100 }));
      await create(
        store,
        jobRecord('job_failed', {
          createdAt: T0 + 2,
          finishAt: T0 + 100,
          outcome: 'error',
          errorCode: 'render_failed',
          errorMessage: 'The translated video could not be rendered.',
        }),
      );
      await create(store, jobRecord('job_later', { createdAt: T0 + 3, finishAt: T0 + 10_000 }));
      await create(store, jobRecord('job_stopped', { createdAt: T0 + 4, finishAt: T0 + 10_000 }));
      const now = T0 + 500;
      const cancel = await store.cancelJob('job_stopped', T0 + 50, (r) =>
        eventForStep(r, TERMINAL_STEP, T0 + 50),
      );
      expect(cancel.kind).toBe('canceled');
      const list = async (status: 'pending' | 'completed' | 'error' | 'canceled', at = now) =>
        ids(await store.listJobs({ tenant: 'acme', limit: 10, now: at, status }));
      expect(await list('pending')).toEqual(['job_later']);
      expect(await list('completed')).toEqual(['job_done']);
      expect(await list('error')).toEqual(['job_failed']);
      expect(await list('canceled')).toEqual(['job_stopped']);
      // Earlier, the same records were all pending but the canceled one.
      expect(await list('pending', T0 + 60)).toEqual(['job_later', 'job_failed', 'job_done']);
      expect(await list('completed', T0 + 60)).toEqual([]);
      // A filtered page follows the keyset too.
      const page = await store.listJobs({
        tenant: 'acme',
        limit: 1,
        now: T0 + 60,
        status: 'pending',
        before: { createdAt: T0 + 3, id: 'job_later' },
      });
      expect(ids(page)).toEqual(['job_failed']);
      // After the terminal events are written, the answers stay the same.
      await store.emitSteps(
        ['job_done', 'job_failed'].map((id, i) => {
          const rec = jobRecord(id, { createdAt: T0 + 1 + i, finishAt: T0 + 100 });
          return { id, step: TERMINAL_STEP, event: eventForStep(rec, TERMINAL_STEP, T0 + 100) };
        }),
      );
      expect(await list('completed')).toEqual(['job_done']);
      expect(await list('error')).toEqual(['job_failed']);
      expect(await list('pending')).toEqual(['job_later']);
    });

    it('cancels a pending job once with its job.canceled event; finished and missing jobs say so', async () => {
      const store = await open();
      const rec = jobRecord('job_a', { finishAt: T0 + 60_000 });
      await create(store, rec);
      const at = T0 + 500;
      const make = (r: JobRecord) => eventForStep(r, TERMINAL_STEP, at);
      const first = await store.cancelJob('job_a', at, make);
      expect(first).toMatchObject({
        kind: 'canceled',
        record: { ...rec, canceledAt: at, emittedStep: TERMINAL_STEP },
        event: { type: 'job.canceled', jobId: 'job_a', at, id: expect.stringMatching(/^\d+-\d+$/) },
      });
      expect(await store.getJob('job_a')).toMatchObject({
        canceledAt: at,
        emittedStep: TERMINAL_STEP,
      });
      expect(await store.cancelJob('job_a', at + 1, make)).toMatchObject({
        kind: 'already-canceled',
        record: { canceledAt: at },
      });
      const done = jobRecord('job_done', { finishAt: T0 + 100 });
      await create(store, done);
      expect(await store.cancelJob('job_done', T0 + 100, make)).toMatchObject({
        kind: 'finished',
        record: { id: 'job_done', canceledAt: null },
      });
      expect(await store.getJob('job_done')).toMatchObject({ canceledAt: null });
      expect(await store.cancelJob('job_missing', at, make)).toEqual({ kind: 'missing' });
    });

    it("keeps a job on the scheduler's work list until its terminal event or its cancellation", async () => {
      const store = await open();
      for (const id of ['job_a', 'job_b', 'job_c'])
        await create(store, jobRecord(id, { finishAt: T0 + 60_000 }));
      const unfinished = async () => ids(await allUnfinished(store)).sort();
      expect(await unfinished()).toEqual(['job_a', 'job_b', 'job_c']);
      const a = jobRecord('job_a');
      await store.emitSteps([{ id: 'job_a', step: 3, event: eventForStep(a, 3, T0 + 30_000) }]);
      expect((await allUnfinished(store)).find((r) => r.id === 'job_a')).toMatchObject({
        emittedStep: 3,
      });
      await store.emitSteps([
        { id: 'job_a', step: TERMINAL_STEP, event: eventForStep(a, TERMINAL_STEP, T0 + 60_000) },
      ]);
      await store.cancelJob('job_b', T0 + 5, (r) => eventForStep(r, TERMINAL_STEP, T0 + 5));
      expect(await unfinished()).toEqual(['job_c']);
    });

    it('hands out the work list in pages, every unfinished job on one', async () => {
      const store = await open();
      const all = Array.from({ length: 25 }, (_, i) => `job_${String(i).padStart(3, '0')}`);
      for (const id of all) await create(store, jobRecord(id, { finishAt: T0 + 60_000 }));
      const done = jobRecord('job_done');
      await create(store, done);
      await store.emitSteps([
        {
          id: 'job_done',
          step: TERMINAL_STEP,
          event: eventForStep(done, TERMINAL_STEP, T0 + 1000),
        },
      ]);
      expect(ids(await allUnfinished(store, 10)).sort()).toEqual(all);
      expect(ids(await allUnfinished(store, 1)).sort()).toEqual(all);
    });
  });
});
