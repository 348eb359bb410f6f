/**
 * Fills a Redis store with a dataset the fast way: pipelined plain commands that lay the data out
 * exactly as the store's scripts do, with the store's own encodings (`redis-layout.ts`) — a job's
 * value, its listing index entry, the unfinished set, idempotency keys with their TTL, and the
 * tenant's event stream, with stream ids from each event's instant.
 */
import { Redis } from 'ioredis';
import { eventForStep } from '../../packages/server/src/sim/job-events.js';
import { TERMINAL_STEP } from '../../packages/server/src/sim/job-model.js';
import {
  encodeRecord,
  idempotencyValue,
  indexStateOf,
  LAYOUT_VERSION,
  RedisKeys,
  storedEvent,
} from '../../packages/server/src/store/redis-layout.js';
import { drawJob, eventsInOrder, TENANT, type DatasetPlan } from './dataset.js';

/** As `redis-store.ts`. */
const KEYS = new RedisKeys('vt:');
const PIPELINE = 2000;

export async function populateRedis(
  url: string,
  plan: DatasetPlan,
  retentionMs = 86_400_000,
): Promise<void> {
  const redis = new Redis(url);
  try {
    let pipeline = redis.pipeline();
    let queued = 0;
    const flush = async (force = false) => {
      if (!force && queued < PIPELINE) return;
      const replies = (await pipeline.exec()) ?? [];
      const failed = replies.find(([err]) => err);
      if (failed?.[0]) throw failed[0];
      pipeline = redis.pipeline();
      queued = 0;
    };
    await redis.set(KEYS.layout, LAYOUT_VERSION);
    await redis.sadd(KEYS.tenants, TENANT);
    for (let i = 0; i < plan.jobs; i++) {
      const { record, created, idempotencyKey, fingerprint } = drawJob(plan, i);
      pipeline.set(KEYS.job(record.id), encodeRecord(record));
      pipeline.zadd(KEYS.index(indexStateOf(record), record.tenant), record.createdAt, record.id);
      if (record.emittedStep < TERMINAL_STEP)
        pipeline.zadd(KEYS.unfinishedAt, record.finishAt, record.id);
      const ttlMs = created.createdAt + retentionMs - Date.now();
      if (ttlMs > 0) {
        const value = idempotencyValue(
          fingerprint,
          created,
          eventForStep(created, 0, created.createdAt),
        );
        pipeline.set(KEYS.idempotency(record.tenant, idempotencyKey), value, 'PX', ttlMs);
      }
      queued += 4;
      await flush();
    }
    let lastMs = 0;
    let seq = 0;
    for (const { job, event } of eventsInOrder(plan)) {
      if (event.at > lastMs) {
        lastMs = event.at;
        seq = 0;
      } else seq++;
      pipeline.xadd(
        KEYS.stream(event.tenant),
        `${lastMs}-${seq}`,
        ...storedEvent(job.record, event),
      );
      queued++;
      await flush();
    }
    await flush(true);
  } finally {
    redis.disconnect();
  }
}

/** Redis's own count of the memory it uses for data, bytes (`INFO memory`: used_memory). */
export async function redisUsedMemory(url: string): Promise<number> {
  const redis = new Redis(url);
  try {
    const info = await redis.info('memory');
    return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
  } finally {
    redis.disconnect();
  }
}
