/**
 * The Redis store's layout: records round-trip through their compact encoding, a job costs little
 * Redis memory, the scheduler's work list reads in pages without skipping, and data written in an
 * older layout is refused with one clear line instead of misread.
 */
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventForStep } from '../src/sim/job-events.js';
import type { JobRecord } from '../src/sim/job-model.js';
import { decodeRecord, encodeRecord, tenantPrefix } from '../src/store/redis-layout.js';
import { RedisStore } from '../src/store/redis-store.js';
import { needs, startRedis, type RedisServer } from '@vtrans/test-support';
import { jobRecord, T0 } from './helpers/records.js';

const hasRedis = needs('redis', 'the Redis layout');

const created = (r: JobRecord) => eventForStep(r, 0, r.createdAt);

describe('the Redis job encoding', () => {
  it('round-trips every record', () => {
    const text = fc.oneof(fc.constant(null), fc.string({ unit: 'binary' }));
    const instant = fc.integer({ min: 0, max: 4_000_000_000_000 });
    fc.assert(
      fc.property(
        fc.record({
          id: fc.string({ minLength: 1 }),
          tenant: fc.string({ unit: 'binary' }),
          sourceUrl: text,
          targetLanguage: text,
          callbackUrl: text,
          callbackEvents: fc.oneof(fc.constant(null), fc.array(fc.string())),
          createdAt: instant,
          etaAt: instant,
          finishAt: instant,
          outcome: fc.constantFrom('completed' as const, 'error' as const),
          errorCode: text,
          errorMessage: text,
          canceledAt: fc.oneof(fc.constant(null), instant),
          emittedStep: fc.integer({ min: 0, max: 6 }),
        }),
        (record: JobRecord) => {
          const value = encodeRecord(record);
          expect(decodeRecord(record.id, value)).toEqual(record);
          // Scripts find the tenant at the start of the JSON part.
          expect(value.slice(value.split('|', 5).join('|').length + 1)).toMatch(
            new RegExp(`^${tenantPrefix(record.tenant).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
          );
        },
      ),
    );
  });
});

describe.skipIf(!hasRedis)('the Redis layout in Redis', () => {
  let redis: RedisServer;
  let admin: Redis;
  const stores: RedisStore[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
  });

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    admin?.disconnect();
  });

  async function open(keyPrefix: string): Promise<RedisStore> {
    const store = await RedisStore.connect(redis.url, { keyPrefix });
    stores.push(store);
    return store;
  }

  it('keeps a typical job, its index entry and its seven events in under 650 bytes', async () => {
    const store = await open('size:');
    const records = Array.from({ length: 1000 }, (_, i) =>
      jobRecord(`job_${String(i).padStart(20, '0')}`, {
        sourceUrl: 'https://media.example.com/uploads/video.mp4',
        targetLanguage: 'de',
        createdAt: T0 + i,
        finishAt: T0 + i + 10_000,
      }),
    );
    for (let i = 0; i < records.length; i += 200)
      await Promise.all(records.slice(i, i + 200).map((r) => store.createJob(r, created(r))));
    await store.emitSteps(
      records.flatMap((r) =>
        [1, 2, 3, 4, 5, 6].map((step) => ({
          id: r.id,
          step,
          event: eventForStep(r, step, r.createdAt + step * 1000),
        })),
      ),
    );
    let bytes = 0;
    // `recently-settled` holds only the last minute's finished jobs, whatever the total.
    for (const key of await admin.keys('size:*'))
      if (key !== 'size:recently-settled')
        bytes += Number(await admin.memory('USAGE', key, 'SAMPLES', 0));
    // About 620 here; a job of seven events took about 4,200 bytes as a hash of JSON with whole
    // events.
    expect(bytes / records.length).toBeLessThan(650);
  });

  it("pages the scheduler's work list in finish order without skipping jobs that share a finish instant", async () => {
    const store = await open('work:');
    const records = Array.from({ length: 1300 }, (_, i) =>
      jobRecord(`job_${i}`, { createdAt: T0, finishAt: T0 + 1000 + Math.floor(i / 7) }),
    );
    for (let i = 0; i < records.length; i += 200)
      await Promise.all(records.slice(i, i + 200).map((r) => store.createJob(r, created(r))));
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      // Pages of 100 cut through groups of seven jobs finishing at the same instant.
      const page = await store.unfinishedJobs(cursor, 100);
      ids.push(...page.records.map((r) => r.id));
      cursor = page.cursor;
      // Read in finish order: every job finishing by `finishedThrough` is on this page or before.
      const through = page.finishedThrough;
      if (through !== undefined) {
        const due = records.filter((r) => r.finishAt <= through).map((r) => r.id);
        expect(due.every((id) => ids.includes(id))).toBe(true);
        expect(through).toBeGreaterThanOrEqual(T0 + 1000 + Math.floor(ids.length / 7) - 2);
      }
    } while (cursor !== undefined);
    expect(ids).toHaveLength(1300);
    expect(new Set(ids).size).toBe(1300);
  });

  it('refuses data of the older layout with one clear line, and claims an empty prefix', async () => {
    await admin.sadd('old:tenants', 'acme');
    await admin.hset('old:job:job_a', 'r', '{}');
    await expect(RedisStore.connect(redis.url, { keyPrefix: 'old:' })).rejects.toThrow(
      /^Redis at redis:\/\/127\.0\.0\.1:\d+ holds vtrans data in an older layout under the prefix "old:"/,
    );
    await open('fresh:');
    expect(await admin.get('fresh:layout')).toBe('2');
    await open('fresh:');
  });
});
