/**
 * Fills a Redis store with a dataset the fast way: pipelined plain commands that lay the data out
 * exactly as the store's scripts do (see the layout in `redis-store.ts` and `CREATE_JOB_LUA` /
 * `EMIT_STEPS_LUA` in `redis-scripts.ts`) — a job hash, the tenant's listing index, the unfinished
 * set, idempotency keys with their TTL, and the tenant's event stream (capped as the scripts cap
 * it), with stream ids from each event's instant. Keep it in step with those scripts when the
 * layout changes.
 */
import { Redis } from 'ioredis';
import { eventForStep } from '../../packages/server/src/sim/job-events.js';
import { TERMINAL_STEP } from '../../packages/server/src/sim/job-model.js';
import { drawJob, eventsInOrder, TENANT, type DatasetPlan } from './dataset.js';

/** As `redis-store.ts`. */
const PREFIX = 'vt:';
const STREAM_MAX_LEN = 1_000_000;
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
    await redis.sadd(`${PREFIX}tenants`, TENANT);
    for (let i = 0; i < plan.jobs; i++) {
      const { record, created, idempotencyKey, fingerprint } = drawJob(plan, i);
      pipeline.hset(`${PREFIX}job:${record.id}`, {
        r: JSON.stringify(created),
        tenant: record.tenant,
        finishAt: record.finishAt,
        canceledAt: record.canceledAt ?? '',
        emittedStep: record.emittedStep,
      });
      pipeline.zadd(`${PREFIX}jobs:${record.tenant}`, record.createdAt, record.id);
      if (record.emittedStep < TERMINAL_STEP) pipeline.sadd(`${PREFIX}unfinished`, record.id);
      const ttlMs = created.createdAt + retentionMs - Date.now();
      if (ttlMs > 0) {
        const data = eventForStep(created, 0, created.createdAt).data;
        pipeline.set(
          `${PREFIX}idem:${record.tenant.length}:${record.tenant}:${idempotencyKey}`,
          `${fingerprint}\n${JSON.stringify(data)}`,
          'PX',
          ttlMs,
        );
      }
      queued += 4;
      await flush();
    }
    let lastMs = 0;
    let seq = 0;
    for (const { event } of eventsInOrder(plan)) {
      if (event.at > lastMs) {
        lastMs = event.at;
        seq = 0;
      } else seq++;
      const json = JSON.stringify({
        tenant: event.tenant,
        jobId: event.jobId,
        type: event.type,
        at: event.at,
        data: event.data,
      });
      pipeline.xadd(
        `${PREFIX}events:${event.tenant}`,
        'MAXLEN',
        '~',
        STREAM_MAX_LEN,
        `${lastMs}-${seq}`,
        'e',
        json,
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
