/**
 * The store contract, part three: webhook deliveries (queued with their event, leased, moved on
 * by attempt) and signing secrets. Every backend (memory, SQLite, Redis) must behave the same.
 */
import { describe, expect, it } from 'vitest';
import { eventForStep } from '../src/sim/job-events.js';
import { TERMINAL_STEP, type JobRecord } from '../src/sim/job-model.js';
import type { DeliveryAttempt, Store } from '../src/store/types.js';
import { STORE_BACKENDS } from './helpers/store-backends.js';
import { jobRecord, T0 } from './helpers/records.js';

const record = (id: string, overrides: Partial<JobRecord> = {}): JobRecord =>
  jobRecord(id, { callbackUrl: 'https://hooks.example.com/vtrans', ...overrides });

async function createAndFinish(store: Store, rec: JobRecord): Promise<void> {
  await store.createJob(rec, eventForStep(rec, 0, rec.createdAt));
  await store.emitSteps([
    { id: rec.id, step: 2, event: eventForStep(rec, 2, rec.createdAt + 300) },
    { id: rec.id, step: TERMINAL_STEP, event: eventForStep(rec, TERMINAL_STEP, rec.finishAt) },
  ]);
}

const attempt = (deliveryId: string, n: number, next: number | null): DeliveryAttempt => ({
  deliveryId,
  attempt: n,
  at: T0 + 2000,
  durationMs: 5,
  statusCode: 500,
  error: null,
  nextAttemptAt: next,
});

describe.each(STORE_BACKENDS)('the $name store: webhooks', ({ available, open }) => {
  describe.skipIf(!available)('', () => {
    it('queues a delivery with the terminal event, and stage changes only when asked', async () => {
      const store = await open();
      await createAndFinish(store, record('job_a'));
      await createAndFinish(store, record('job_b', { callbackEvents: ['job.updated'] }));
      await createAndFinish(store, record('job_c', { callbackUrl: null }));
      const a = await store.listDeliveries('job_a');
      expect(a.map((d) => [d.id, d.eventType, d.state, d.attempts])).toEqual([
        ['msg_job_a_6', 'job.completed', 'pending', 0],
      ]);
      expect(JSON.parse(a[0]?.body ?? '')).toMatchObject({
        type: 'job.completed',
        timestamp: new Date(T0 + 1000).toISOString(),
        data: { id: 'job_a', status: 'completed' },
      });
      expect((await store.listDeliveries('job_b')).map((d) => d.eventType)).toEqual([
        'job.updated',
      ]);
      expect(await store.listDeliveries('job_c')).toEqual([]);
    });

    it('queues job.canceled with the cancellation', async () => {
      const store = await open();
      const rec = record('job_x', { finishAt: T0 + 60_000 });
      await store.createJob(rec, eventForStep(rec, 0, T0));
      await store.cancelJob('job_x', T0 + 10, (c) => eventForStep(c, TERMINAL_STEP, T0 + 10));
      expect((await store.listDeliveries('job_x')).map((d) => d.eventType)).toEqual([
        'job.canceled',
      ]);
    });

    it('leases a due delivery to one claimer until the lease expires', async () => {
      const store = await open();
      await createAndFinish(store, record('job_a'));
      expect(await store.claimDueDeliveries(T0 + 999, 100, 10)).toEqual([]);
      const [claimed] = await store.claimDueDeliveries(T0 + 1000, 100, 10);
      expect(claimed).toMatchObject({ id: 'msg_job_a_6', leaseUntil: T0 + 1100 });
      expect(await store.claimDueDeliveries(T0 + 1050, 100, 10)).toEqual([]);
      expect(await store.claimDueDeliveries(T0 + 1100, 100, 10)).toHaveLength(1);
    });

    it('records each attempt number once and moves the delivery on', async () => {
      const store = await open();
      await createAndFinish(store, record('job_a'));
      await store.claimDueDeliveries(T0 + 1000, 100, 10);
      expect(await store.recordAttempt(attempt('msg_job_a_6', 1, T0 + 5000), 'pending')).toBe(true);
      expect(await store.recordAttempt(attempt('msg_job_a_6', 1, T0 + 5000), 'pending')).toBe(
        false,
      );
      expect(await store.recordAttempt(attempt('msg_job_a_6', 3, T0 + 5000), 'pending')).toBe(
        false,
      );
      // Released: due again at the next attempt's instant, not before.
      expect(await store.claimDueDeliveries(T0 + 4999, 100, 10)).toEqual([]);
      expect(await store.claimDueDeliveries(T0 + 5000, 100, 10)).toHaveLength(1);
      expect(
        await store.recordAttempt(
          { ...attempt('msg_job_a_6', 2, null), statusCode: 204 },
          'succeeded',
        ),
      ).toBe(true);
      expect(await store.claimDueDeliveries(T0 + 99_999, 100, 10)).toEqual([]);
      const [d] = await store.listDeliveries('job_a');
      expect(d).toMatchObject({ state: 'succeeded', attempts: 2, nextAttemptAt: null });
      expect(d?.history.map((h) => [h.attempt, h.statusCode])).toEqual([
        [1, 500],
        [2, 204],
      ]);
    });

    it('purges settled deliveries past retention and keeps pending ones', async () => {
      const store = await open();
      await createAndFinish(store, record('job_a'));
      await createAndFinish(store, record('job_b'));
      await store.claimDueDeliveries(T0 + 1000, 100, 10);
      await store.recordAttempt(
        { ...attempt('msg_job_a_6', 1, null), statusCode: 200 },
        'succeeded',
      );
      await store.recordAttempt(attempt('msg_job_b_6', 1, T0 + 9000), 'pending');
      await store.purgeExpired(T0 + 10_000, []);
      expect(await store.listDeliveries('job_a')).toEqual([]);
      expect(await store.listDeliveries('job_b')).toHaveLength(1);
    });

    it('keeps secrets per tenant: the first set wins, a rotation keeps the previous one', async () => {
      const store = await open();
      expect(await store.getWebhookSecrets('acme')).toBeNull();
      expect((await store.initWebhookSecret('acme', 'whsec_a')).current).toBe('whsec_a');
      expect((await store.initWebhookSecret('acme', 'whsec_b')).current).toBe('whsec_a');
      expect(await store.rotateWebhookSecret('acme', 'whsec_c', T0, 500)).toEqual({
        current: 'whsec_c',
        previous: 'whsec_a',
        previousExpiresAt: T0 + 500,
      });
      expect(await store.getWebhookSecrets('acme')).toMatchObject({ current: 'whsec_c' });
      expect(await store.getWebhookSecrets('other')).toBeNull();
    });
  });
});
