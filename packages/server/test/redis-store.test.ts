/**
 * The Redis store against a real redis-server: the Store contract (atomic create with idempotency,
 * keyset listing, cancel, compare-and-set steps, the event log), notices across instances,
 * webhook leases, and failing fast while Redis is away.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventForStep } from '../src/sim/job-events.js';
import { TERMINAL_STEP, type JobRecord } from '../src/sim/job-model.js';
import { RedisStore } from '../src/store/redis-store.js';
import { StoreUnavailableError, type StoreNotice } from '../src/store/types.js';
import { freePort, needs, type RedisServer, startRedis } from '@vtrans/test-support';
import { allUnfinished } from './helpers/store-backends.js';

const hasRedis = needs('redis', 'RedisStore');

const T0 = Date.UTC(2026, 0, 1);
let counter = 0;

function record(overrides: Partial<JobRecord> = {}): JobRecord {
  counter++;
  return {
    id: `job_test${String(counter).padStart(6, '0')}`,
    tenant: 'acme',
    sourceUrl: null,
    targetLanguage: 'de',
    callbackUrl: null,
    callbackEvents: null,
    createdAt: T0 + counter,
    etaAt: T0 + counter + 1000,
    finishAt: T0 + counter + 1000,
    outcome: 'completed',
    errorCode: null,
    errorMessage: null,
    canceledAt: null,
    emittedStep: 0,
    ...overrides,
  };
}

const created = (r: JobRecord) => eventForStep(r, 0, r.createdAt);

function nextNotice(store: RedisStore, match: (n: StoreNotice) => boolean): Promise<StoreNotice> {
  return new Promise((resolve) => {
    const off = store.subscribe((n) => {
      if (!match(n)) return;
      off();
      resolve(n);
    });
  });
}

describe.skipIf(!hasRedis)('RedisStore', () => {
  let redis: RedisServer;
  let store: RedisStore;
  let other: RedisStore;

  beforeAll(async () => {
    redis = await startRedis();
    store = await RedisStore.connect(redis.url, { retentionMs: 60_000 });
    other = await RedisStore.connect(redis.url);
  });

  afterAll(async () => {
    await store?.close();
    await other?.close();
  });

  it('creates a job with its event, and another instance reads both', async () => {
    const rec = record({ callbackEvents: [], sourceUrl: 'https://example.com/v.mp4' });
    const result = await store.createJob(rec, created(rec));
    expect(result.kind).toBe('created');
    expect(await other.getJob(rec.id)).toEqual(rec);
    const events = await other.readEvents('acme', undefined, 1000);
    expect(events.at(-1)).toMatchObject({ jobId: rec.id, type: 'job.created' });
    expect(events.at(-1)?.id).toMatch(/^\d+-\d+$/);
  });

  it('refuses a second job with the same id', async () => {
    const rec = record();
    await store.createJob(rec, created(rec));
    await expect(store.createJob(rec, created(rec))).rejects.toThrow(/exists/);
  });

  it('replays an idempotency key with the same body and refuses it with another', async () => {
    const first = record();
    const idem = { key: 'k-1', fingerprint: 'fp-a' };
    const a = await store.createJob(first, created(first), idem);
    expect(a.kind).toBe('created');
    const second = record();
    const b = await other.createJob(second, created(second), idem);
    expect(b).toEqual({ kind: 'replayed', response: created(first).data });
    expect(await store.getJob(second.id)).toBeNull();
    const c = await store.createJob(second, created(second), { key: 'k-1', fingerprint: 'fp-b' });
    expect(c).toEqual({ kind: 'conflict' });
    // Keys are per tenant.
    const elsewhere = record({ tenant: 'globex' });
    expect((await store.createJob(elsewhere, created(elsewhere), idem)).kind).toBe('created');
  });

  it('lists newest first with the id tie-break, pages by keyset and filters by status', async () => {
    const tenant = 'lister';
    const recs = [
      record({ tenant, createdAt: T0 + 10, id: 'job_a', finishAt: T0 + 30 }),
      record({ tenant, createdAt: T0 + 20, id: 'job_b', finishAt: T0 + 30 }),
      record({ tenant, createdAt: T0 + 20, id: 'job_c', finishAt: T0 + 30 }),
      record({ tenant, createdAt: T0 + 30, id: 'job_d', finishAt: T0 + 40 }),
    ];
    for (const r of recs) await store.createJob(r, created(r));
    const now = T0 + 35;
    const all = await store.listJobs({ tenant, limit: 10, now });
    expect(all.map((r) => r.id)).toEqual(['job_d', 'job_c', 'job_b', 'job_a']);
    const page = await store.listJobs({
      tenant,
      limit: 2,
      now,
      before: { createdAt: T0 + 20, id: 'job_c' },
    });
    expect(page.map((r) => r.id)).toEqual(['job_b', 'job_a']);
    const pending = await store.listJobs({ tenant, limit: 10, now: T0 + 35, status: 'pending' });
    expect(pending.map((r) => r.id)).toEqual(['job_d']);
  });

  it('cancels a pending job once, and reports finished and missing jobs', async () => {
    const rec = record({ finishAt: T0 + 1_000_000 });
    await store.createJob(rec, created(rec));
    const now = T0 + 500;
    const make = (r: JobRecord) => eventForStep(r, TERMINAL_STEP, now);
    const first = await store.cancelJob(rec.id, now, make);
    expect(first.kind).toBe('canceled');
    const again = await other.cancelJob(rec.id, now + 1, make);
    expect(again).toMatchObject({ kind: 'already-canceled', record: { canceledAt: now } });
    expect((await store.getJob(rec.id))?.emittedStep).toBe(TERMINAL_STEP);
    const done = record({ finishAt: T0 });
    await store.createJob(done, created(done));
    expect((await store.cancelJob(done.id, T0 + 1, make)).kind).toBe('finished');
    expect((await store.cancelJob('job_nope', now, make)).kind).toBe('missing');
  });

  it('writes each step once across instances (compare-and-set)', async () => {
    const rec = record();
    await store.createJob(rec, created(rec));
    const emission = { id: rec.id, step: 2, event: eventForStep(rec, 2, rec.finishAt - 1) };
    const [a, b] = await Promise.all([store.emitSteps([emission]), other.emitSteps([emission])]);
    expect(a.length + b.length).toBe(1);
    expect(await store.emitSteps([{ ...emission, step: 1 }])).toEqual([]);
    const terminal = { id: rec.id, step: TERMINAL_STEP, event: eventForStep(rec, 6, rec.finishAt) };
    expect(await store.emitSteps([terminal])).toHaveLength(1);
    expect((await allUnfinished(store)).map((r) => r.id)).not.toContain(rec.id);
  });

  it('serves reads of one job asked in the same tick with one round trip, each a copy', async () => {
    const rec = record();
    await store.createJob(rec, created(rec));
    const admin = new Redis(redis.url);
    const mgets = async () =>
      Number(/cmdstat_mget:calls=(\d+)/.exec(String(await admin.info('commandstats')))?.[1] ?? 0);
    const before = await mgets();
    const reads = await Promise.all(Array.from({ length: 50 }, () => store.getJob(rec.id)));
    expect(await mgets()).toBe(before + 1);
    admin.disconnect();
    expect(reads.every((r) => r?.id === rec.id)).toBe(true);
    reads[0]!.emittedStep = 99;
    expect(reads[1]!.emittedStep).toBe(0);
    // A read asked after the batch was sent sees later writes.
    await store.cancelJob(rec.id, rec.createdAt + 1, (r) =>
      eventForStep(r, TERMINAL_STEP, r.createdAt + 1),
    );
    expect((await store.getJob(rec.id))?.canceledAt).toBe(rec.createdAt + 1);
  });

  it('keeps unfinished jobs in the work list until their terminal event', async () => {
    const rec = record();
    await store.createJob(rec, created(rec));
    expect((await allUnfinished(other)).map((r) => r.id)).toContain(rec.id);
  });

  it('reads events after an id, exclusive, in order', async () => {
    const tenant = 'reader';
    const recs = [record({ tenant }), record({ tenant }), record({ tenant })];
    for (const r of recs) await store.createJob(r, created(r));
    const all = await store.readEvents(tenant, undefined, 100);
    expect(all.map((e) => e.jobId)).toEqual(recs.map((r) => r.id));
    const rest = await store.readEvents(tenant, all[0]!.id, 100);
    expect(rest.map((e) => e.jobId)).toEqual([recs[1]!.id, recs[2]!.id]);
    expect(await store.readEvents(tenant, all[2]!.id, 100)).toEqual([]);
    expect(await store.readEvents(tenant, 'garbage', 1)).toHaveLength(1);
  });

  it("delivers every write's notice to every instance, its own included", async () => {
    const rec = record({ tenant: 'noticed' });
    const mine = nextNotice(store, (n) => n.event.jobId === rec.id);
    const theirs = nextNotice(other, (n) => n.event.jobId === rec.id);
    const result = await store.createJob(rec, created(rec));
    const [a, b] = await Promise.all([mine, theirs]);
    expect(result.kind === 'created' && result.event.id).toBe(a.event.id);
    expect(b.event).toEqual(a.event);
  });

  it('announces every event of a batch of steps, in order, to every instance', async () => {
    const recs = [record({ tenant: 'batched' }), record({ tenant: 'batched' }), record()];
    for (const r of recs) await store.createJob(r, created(r));
    const seen: string[] = [];
    const off = other.subscribe((n) => {
      if (n.event.type === 'job.updated' && recs.some((r) => r.id === n.event.jobId))
        seen.push(n.event.id);
    });
    const written = await store.emitSteps(
      recs.map((r) => ({ id: r.id, step: 1, event: eventForStep(r, 1, r.createdAt + 100) })),
    );
    expect(written).toHaveLength(3);
    await expect.poll(() => seen).toEqual(written.map((e) => e.id));
    off();
  });

  it('catches up on notices written while its subscriber was disconnected', async () => {
    const tenant = 'catch-up';
    const before = record({ tenant });
    const seen: string[] = [];
    const off = store.subscribe((n) => {
      if (n.event.tenant === tenant) seen.push(n.event.jobId);
    });
    await store.createJob(before, created(before));
    await expect.poll(() => seen).toEqual([before.id]);
    const admin = new Redis(redis.url);
    // Drop every subscriber connection; the write below lands before they reconnect.
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    admin.disconnect();
    const during = record({ tenant });
    await other.createJob(during, created(during));
    const after = record({ tenant });
    await expect.poll(() => seen, { timeout: 10_000 }).toContain(during.id);
    await other.createJob(after, created(after));
    await expect.poll(() => seen).toEqual([before.id, during.id, after.id]);
    off();
  });

  it('purges finished jobs past the cutoff but keeps the named and the unfinished', async () => {
    const tenant = 'purged';
    const old = record({ tenant, createdAt: T0 - 5000, finishAt: T0 - 4000, emittedStep: 6 });
    const kept = record({ tenant, createdAt: T0 - 5000, finishAt: T0 - 4000, emittedStep: 6 });
    const running = record({ tenant, createdAt: T0 - 5000, finishAt: T0 - 4000 });
    for (const r of [old, kept, running]) await store.createJob(r, created(r));
    expect(await store.purgeExpired(T0, [kept.id])).toBeGreaterThanOrEqual(1);
    expect(await store.getJob(old.id)).toBeNull();
    expect(await store.getJob(kept.id)).not.toBeNull();
    expect(await store.getJob(running.id)).not.toBeNull();
    expect((await store.listJobs({ tenant, limit: 10, now: T0 })).map((r) => r.id)).not.toContain(
      old.id,
    );
  });

  it('queues a webhook with its event and leases each attempt to one instance', async () => {
    const rec = record({ callbackUrl: 'https://hooks.example.com/x', tenant: 'hooked' });
    await store.createJob(rec, created(rec));
    const now = rec.finishAt;
    await store.emitSteps([
      { id: rec.id, step: TERMINAL_STEP, event: eventForStep(rec, TERMINAL_STEP, now) },
    ]);
    const [a, b] = await Promise.all([
      store.claimDueDeliveries(now + 1, 30_000, 10),
      other.claimDueDeliveries(now + 1, 30_000, 10),
    ]);
    const claimed = [...a, ...b].filter((d) => d.jobId === rec.id);
    expect(claimed).toHaveLength(1);
    const delivery = claimed[0]!;
    expect(delivery).toMatchObject({ state: 'pending', attempts: 0, eventType: 'job.completed' });
    // Still leased: nobody else may take it.
    expect((await other.claimDueDeliveries(now + 2, 30_000, 10)).map((d) => d.id)).not.toContain(
      delivery.id,
    );
    const attempt = {
      deliveryId: delivery.id,
      attempt: 1,
      at: now + 2,
      durationMs: 5,
      statusCode: 500,
      error: null,
      nextAttemptAt: now + 5000,
    };
    expect(await store.recordAttempt(attempt, 'pending')).toBe(true);
    expect(await other.recordAttempt(attempt, 'pending')).toBe(false);
    expect(await store.claimDueDeliveries(now + 4000, 30_000, 10)).toEqual([]);
    const retry = await other.claimDueDeliveries(now + 5000, 30_000, 10);
    expect(retry.map((d) => [d.id, d.attempts])).toEqual([[delivery.id, 1]]);
    const [listed] = await store.listDeliveries(rec.id);
    expect(listed?.history).toEqual([attempt]);
  });

  it('keeps webhook secrets: the first init wins, a rotation keeps the previous for a while', async () => {
    expect(await store.getWebhookSecrets('sec')).toBeNull();
    const [a, b] = await Promise.all([
      store.initWebhookSecret('sec', 'whsec_a'),
      other.initWebhookSecret('sec', 'whsec_b'),
    ]);
    expect(a).toEqual(b);
    const rotated = await other.rotateWebhookSecret('sec', 'whsec_c', T0, 1000);
    expect(rotated).toEqual({
      current: 'whsec_c',
      previous: a.current,
      previousExpiresAt: T0 + 1000,
    });
    expect(await store.getWebhookSecrets('sec')).toEqual(rotated);
  });

  it('refuses to start with one clear line when Redis does not answer', async () => {
    const port = await freePort();
    await expect(
      RedisStore.connect(`redis://user:secret@127.0.0.1:${port}`, { connectTimeoutMs: 300 }),
    ).rejects.toThrow(
      new RegExp(`^Redis at redis://\\*\\*\\*@127\\.0\\.0\\.1:${port} does not answer`),
    );
  });

  it('fails fast with StoreUnavailableError while Redis is away, and recovers after', async () => {
    const rec = record();
    await store.createJob(rec, created(rec));
    await redis.kill();
    const started = Date.now();
    await expect(store.getJob(rec.id)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(5000);
    await redis.restart();
    await expect
      .poll(() => store.getJob(rec.id).catch(() => null), { timeout: 10_000 })
      .toEqual(rec);
  });
});
