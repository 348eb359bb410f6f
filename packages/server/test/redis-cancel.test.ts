/**
 * A cancel decides at the instant it takes effect, not the instant it was asked for. On a shared
 * store the two differ: the cancel's instant is taken on the instance, then the request waits for
 * Redis (a round trip, a stall). If the job's finish instant passes meanwhile, every instance
 * already answers "completed" — a cancel landing after that would turn a job clients saw completed
 * into a canceled one. Here Redis is paused (SIGSTOP) across the finish instant while a cancel waits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventForStep } from '../src/sim/job-events.js';
import { materialize, TERMINAL_STEP } from '../src/sim/job-model.js';
import { RedisStore } from '../src/store/redis-store.js';
import { jobRecord } from './helpers/records.js';
import { needs, type RedisServer, startRedis } from '@vtrans/test-support';

const hasRedis = needs('redis', 'RedisStore cancel across the finish instant');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!hasRedis)('RedisStore cancel across the finish instant', () => {
  let redis: RedisServer;
  let store: RedisStore;

  beforeAll(async () => {
    redis = await startRedis();
    store = await RedisStore.connect(redis.url);
  });

  afterAll(async () => {
    await store?.close();
  });

  it('refuses a cancel asked before the finish instant that reaches Redis after it', async () => {
    const now = Date.now();
    const record = jobRecord('job_cancelstall000000001', {
      createdAt: now,
      etaAt: now + 150,
      finishAt: now + 150,
    });
    await store.createJob(record, eventForStep(record, 0, now));
    const askedAt = Date.now();
    const cancel = store.cancelJob(record.id, askedAt, (r) =>
      eventForStep(r, TERMINAL_STEP, askedAt),
    );
    // Redis stalls before it runs the cancel; the job's finish instant passes meanwhile.
    process.kill(redis.pid, 'SIGSTOP');
    await sleep(400);
    process.kill(redis.pid, 'SIGCONT');
    const result = await cancel;
    expect(result.kind).toBe('finished');
    const stored = await store.getJob(record.id);
    expect(materialize(stored!, Date.now()).status).toBe('completed');
  });

  it('still cancels a job that is pending when the cancel takes effect', async () => {
    const now = Date.now();
    const record = jobRecord('job_cancelstall000000002', {
      createdAt: now,
      etaAt: now + 5000,
      finishAt: now + 5000,
    });
    await store.createJob(record, eventForStep(record, 0, now));
    const askedAt = Date.now();
    const cancel = store.cancelJob(record.id, askedAt, (r) =>
      eventForStep(r, TERMINAL_STEP, askedAt),
    );
    process.kill(redis.pid, 'SIGSTOP');
    await sleep(400);
    process.kill(redis.pid, 'SIGCONT');
    expect((await cancel).kind).toBe('canceled');
    expect(materialize((await store.getJob(record.id))!, Date.now()).status).toBe('canceled');
  });
});
