/**
 * Retention on the Redis store: the sweep works in bounded steps and never overlaps itself, the
 * event streams keep exactly the retention, and what is stored by reference (compact events,
 * idempotency replies) reads back exactly what was written — or, once its job is gone, nothing.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventForStep } from '../src/sim/job-events.js';
import { TERMINAL_STEP, type JobRecord } from '../src/sim/job-model.js';
import { RedisStore } from '../src/store/redis-store.js';
import { needs, startRedis, type RedisServer } from '@vtrans/test-support';
import { jobRecord, T0 } from './helpers/records.js';

const hasRedis = needs('redis', 'retention on the Redis store');

const created = (r: JobRecord) => eventForStep(r, 0, r.createdAt);
const terminal = (r: JobRecord, at = r.finishAt) => ({
  id: r.id,
  step: TERMINAL_STEP,
  event: eventForStep(r, TERMINAL_STEP, at),
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!hasRedis)('Redis store retention', () => {
  let redis: RedisServer;
  let admin: Redis;
  let prefixes = 0;
  const stores: RedisStore[] = [];

  /** A store on a prefix of its own. */
  async function open(retentionMs = 3_600_000): Promise<{ store: RedisStore; prefix: string }> {
    const prefix = `r${++prefixes}:`;
    const store = await RedisStore.connect(redis.url, { keyPrefix: prefix, retentionMs });
    stores.push(store);
    return { store, prefix };
  }

  const calls = async (command: string) =>
    Number(
      new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(await admin.info('commandstats'))?.[1] ??
        0,
    );

  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
  });

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    admin?.disconnect();
  });

  async function createAll(store: RedisStore, records: JobRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += 200)
      await Promise.all(records.slice(i, i + 200).map((r) => store.createJob(r, created(r))));
  }

  it('sweeps more jobs than one step deletes, in several steps, and keeps the rest', async () => {
    const { store } = await open();
    const old = Array.from({ length: 1200 }, (_, i) =>
      jobRecord(`job_old${i}`, { createdAt: T0 - 10_000 + (i % 300), finishAt: T0 - 5000 }),
    );
    const spanning = jobRecord('job_spanning', { createdAt: T0 - 9000, finishAt: T0 + 5 });
    const unwritten = jobRecord('job_unwritten', { createdAt: T0 - 9000, finishAt: T0 - 5000 });
    const kept = jobRecord('job_kept', { createdAt: T0 - 9000, finishAt: T0 - 5000 });
    await createAll(store, [...old, spanning, unwritten, kept]);
    await store.emitSteps([...old, spanning, kept].map((r) => terminal(r)));
    const steps = await calls('evalsha');
    expect(await store.purgeExpired(T0, ['job_kept'])).toBe(1200);
    // One script call per few hundred jobs (and per index), never one per job.
    const used = (await calls('evalsha')) - steps;
    expect(used).toBeGreaterThan(2);
    expect(used).toBeLessThan(20);
    const left = await store.listJobs({ tenant: 'acme', limit: 100, now: T0 });
    expect(left.map((r) => r.id).sort()).toEqual(['job_kept', 'job_spanning', 'job_unwritten']);
    expect(await store.getJobs(old.map((r) => r.id))).toEqual([]);
    expect(await store.purgeExpired(T0, ['job_kept'])).toBe(0);
  });

  it('never runs two sweeps at once: calls made meanwhile share one more sweep', async () => {
    const { store } = await open();
    const old = Array.from({ length: 600 }, (_, i) =>
      jobRecord(`job_old${i}`, { createdAt: T0 - 10_000, finishAt: T0 - 5000 }),
    );
    await createAll(store, old);
    await store.emitSteps(old.map((r) => terminal(r)));
    const sweeps = await calls('smembers');
    const results = await Promise.all(Array.from({ length: 6 }, () => store.purgeExpired(T0, [])));
    // Each sweep reads the tenant list once: the first, and one for the five that came meanwhile.
    expect((await calls('smembers')) - sweeps).toBe(2);
    expect(results).toEqual([600, 0, 0, 0, 0, 0]);
  });

  it('trims each event stream to the retention on every append, whole stream nodes at a time', async () => {
    const { store, prefix } = await open(1000);
    const records = Array.from({ length: 250 }, (_, i) => jobRecord(`job_${i}`));
    await createAll(store, records);
    expect(await admin.xlen(`${prefix}events:acme`)).toBe(250);
    await sleep(1100);
    const late = jobRecord('job_late');
    await store.createJob(late, created(late));
    // A stream node holds up to 100 entries: at most the newest node's older entries remain.
    expect(await admin.xlen(`${prefix}events:acme`)).toBeLessThanOrEqual(101);
    const events = await store.readEvents('acme', undefined, 1000);
    expect(events.at(-1)?.jobId).toBe('job_late');
  });

  it('sweeps each event stream to exactly the cutoff', async () => {
    const { store, prefix } = await open();
    const first = Array.from({ length: 250 }, (_, i) => jobRecord(`job_a${i}`));
    await createAll(store, first);
    await sleep(5);
    const [seconds, micros] = (await admin.time()) as unknown as [string, string];
    const cutoff = Number(seconds) * 1000 + Math.ceil(Number(micros) / 1000);
    await sleep(5);
    const second = Array.from({ length: 30 }, (_, i) => jobRecord(`job_b${i}`));
    await createAll(store, second);
    await store.purgeExpired(cutoff, []);
    const ids = (await admin.xrange(`${prefix}events:acme`, '-', '+')).map(([id]) => id);
    expect(ids).toHaveLength(30);
    expect(ids.every((id) => Number(id.split('-')[0]) >= cutoff)).toBe(true);
  });

  it('stores an event compactly when its job rebuilds it, whole otherwise, and reads back both exactly', async () => {
    const { store, prefix } = await open();
    const a = jobRecord('job_a', { sourceUrl: 'https://example.com/a.mp4', finishAt: T0 + 60_000 });
    await store.createJob(a, created(a));
    const odd = eventForStep(a, 1, T0 + 3000);
    odd.data = { ...odd.data, progress: 0.5 };
    const [written] = await store.emitSteps([{ id: 'job_a', step: 1, event: odd }]);
    const canceled = await store.cancelJob('job_a', T0 + 4000, (r) =>
      eventForStep(r, TERMINAL_STEP, T0 + 4000),
    );
    if (canceled.kind !== 'canceled') throw new Error(canceled.kind);
    const stored = await admin.xrange(`${prefix}events:acme`, '-', '+');
    expect(stored.map(([, fields]) => fields[0])).toEqual(['c', 'e', 'c']);
    const all = await store.readEvents('acme', undefined, 10);
    expect(all).toEqual([{ ...created(a), id: all[0]!.id }, written, canceled.event]);
  });

  it('stores an event written long after its job ended whole: it outlives the job', async () => {
    const { store, prefix } = await open();
    const down = jobRecord('job_down', { createdAt: T0 - 9000, finishAt: T0 - 5000 });
    await store.createJob(down, created(down));
    // The catch-up after an outage writes the terminal event when it comes back.
    const [late] = await store.emitSteps([terminal(down, T0 + 120_000)]);
    expect((await admin.xrange(`${prefix}events:acme`, '-', '+')).map(([, f]) => f[0])).toEqual([
      'c',
      'e',
    ]);
    expect(await store.purgeExpired(T0, [])).toBe(1);
    expect(await store.getJob('job_down')).toBeNull();
    // The job is gone, so its compact creation event is too; the whole one is still there.
    expect(await store.readEvents('acme', undefined, 10)).toEqual([late]);
  });

  it('leaves out compact events of jobs retention deleted, and fills the page with later ones', async () => {
    const { store } = await open();
    const gone = Array.from({ length: 5 }, (_, i) =>
      jobRecord(`job_gone${i}`, { createdAt: T0 - 9000, finishAt: T0 - 5000 }),
    );
    await createAll(store, gone);
    await store.emitSteps(gone.map((r) => terminal(r)));
    const kept = Array.from({ length: 3 }, (_, i) => jobRecord(`job_kept${i}`));
    await createAll(store, kept);
    // The stream is cut by Redis's clock, the jobs by theirs: here only the jobs go.
    expect(await store.purgeExpired(T0, [])).toBe(5);
    const page = await store.readEvents('acme', undefined, 2);
    expect(page.map((e) => e.jobId)).toEqual(['job_kept0', 'job_kept1']);
  });

  it('replays an idempotency key with the reply of the creation, also after a cancel', async () => {
    const { store } = await open();
    const idem = { key: 'k-1', fingerprint: 'fp-a' };
    const first = jobRecord('job_1', { finishAt: T0 + 60_000 });
    await store.createJob(first, created(first), idem);
    await store.cancelJob('job_1', T0 + 10, (r) => eventForStep(r, TERMINAL_STEP, T0 + 10));
    const second = jobRecord('job_2');
    expect(await store.createJob(second, created(second), idem)).toEqual({
      kind: 'replayed',
      response: created(first).data,
    });
    // A reply that the record cannot rebuild is kept whole.
    const other = { key: 'k-2', fingerprint: 'fp-b' };
    const third = jobRecord('job_3');
    const custom = { ...created(third), data: { ...created(third).data, progress: 0.25 } };
    await store.createJob(third, custom, other);
    const fourth = jobRecord('job_4');
    expect(await store.createJob(fourth, created(fourth), other)).toEqual({
      kind: 'replayed',
      response: custom.data,
    });
  });

  it('forgets an idempotency key whose job retention deleted: the key makes a new job', async () => {
    const { store } = await open();
    const idem = { key: 'k-1', fingerprint: 'fp-a' };
    const first = jobRecord('job_1', { createdAt: T0 - 9000, finishAt: T0 - 5000 });
    await store.createJob(first, created(first), idem);
    await store.emitSteps([terminal(first)]);
    expect(await store.purgeExpired(T0, [])).toBe(1);
    const second = jobRecord('job_2');
    expect((await store.createJob(second, created(second), idem)).kind).toBe('created');
  });
});
