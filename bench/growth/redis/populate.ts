/**
 * Writes a Redis growth run's jobs straight into Redis in the Redis store's own layout — with the
 * store's own encodings (`redis-layout.ts`), pipelined, without a server — so a million jobs take a
 * minute or two, not three hours at 100 jobs/s.
 */
import { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import { eventForStep } from '../../../packages/server/src/sim/job-events.js';
import { TERMINAL_STEP, type JobRecord } from '../../../packages/server/src/sim/job-model.js';
import {
  encodeRecord,
  idempotencyValue,
  indexStateOf,
  LAYOUT_VERSION,
  RedisKeys,
  storedEvent,
} from '../../../packages/server/src/store/redis-layout.js';
import type { NewEvent } from '../../../packages/server/src/store/types.js';
import { eventAt, eventSteps, jobAt, totalJobs, type JobPlan } from './jobs.js';

export interface PopulateOptions extends JobPlan {
  /** `redis://host:port` of an empty Redis (or one whose `prefix` holds nothing). */
  url: string;
  /** The store's key prefix. @default 'vt:' */
  prefix?: string;
  /**
   * Whether each job was created with an `Idempotency-Key` (the client sends one with every
   * creation), kept for the retention from its creation. @default true
   */
  idempotencyKeys?: boolean;
  /** Progress lines (every few hundred thousand jobs). */
  log?: (line: string) => void;
}

export interface PopulateSummary {
  jobs: number;
  events: number;
  elapsedMs: number;
}

/** Commands per pipeline: big enough to keep Redis busy, small enough to bound memory. */
const PIPELINE = 20_000;
/** Events are sorted by (instant, job, step) packed into one exactly representable number. */
const AT_BITS = 2 ** 28;
const JOB_BITS = 2 ** 22;

type Pipeline = ReturnType<Redis['pipeline']>;

/** A job's record and index entries (and idempotency key), as the store's scripts write them. */
function writeJob(pipe: Pipeline, k: RedisKeys, r: JobRecord, o: PopulateOptions): void {
  pipe.set(k.job(r.id), encodeRecord(r));
  pipe.zadd(k.index(indexStateOf(r), r.tenant), r.createdAt, r.id);
  if (r.emittedStep < TERMINAL_STEP) pipe.zadd(k.unfinishedAt, r.finishAt, r.id);
  const ttlMs = r.createdAt + o.retentionMs - o.now;
  if ((o.idempotencyKeys ?? true) && ttlMs > 0) {
    const key = `idem-${r.id}`;
    const fingerprint = createHash('sha256').update(key).digest('base64url');
    const created = eventForStep({ ...r, canceledAt: null }, 0, r.createdAt);
    pipe.set(k.idempotency(r.tenant, key), idempotencyValue(fingerprint, r, created), 'PX', ttlMs);
  }
}

function writeEvent(pipe: Pipeline, k: RedisKeys, id: string, r: JobRecord, e: NewEvent): void {
  pipe.xadd(k.stream(e.tenant), id, ...storedEvent(r, e));
}

/** Writes every job of the plan and its events (in stream order) into Redis. */
export async function populateRedis(options: PopulateOptions): Promise<PopulateSummary> {
  const started = Date.now();
  const k = new RedisKeys(options.prefix ?? 'vt:');
  const total = totalJobs(options.counts);
  if (total > JOB_BITS) throw new RangeError(`at most ${JOB_BITS} jobs per run`);
  const redis = new Redis(options.url, { maxRetriesPerRequest: null });
  try {
    let pipe = redis.pipeline();
    const flush = async () => {
      if (pipe.length === 0) return;
      const replies = (await pipe.exec()) ?? [];
      const failed = replies.find(([err]) => err);
      if (failed?.[0]) throw failed[0];
      pipe = redis.pipeline();
    };
    // Jobs, and the sort keys of their events.
    const base = jobAt(options, 0).createdAt;
    const order: number[] = [];
    for (let i = 0; i < total; i++) {
      const record = jobAt(options, i);
      writeJob(pipe, k, record, options);
      for (const { step, at } of eventSteps(record)) {
        if (at - base >= AT_BITS) throw new RangeError('the plan spans too long a time');
        order.push(((at - base) * JOB_BITS + i) * 8 + step);
      }
      if (pipe.length >= PIPELINE) await flush();
      if ((i + 1) % 250_000 === 0) options.log?.(`${i + 1} jobs written`);
    }
    pipe.sadd(k.tenants, options.tenant);
    pipe.set(k.layout, LAYOUT_VERSION);
    await flush();
    // Events in the order they were written (stream ids only grow).
    const sorted = Float64Array.from(order).sort();
    order.length = 0;
    let lastMs = -1;
    let seq = 0;
    for (let n = 0; n < sorted.length; n++) {
      const key = sorted[n] ?? 0;
      const step = key % 8;
      const i = Math.floor(key / 8) % JOB_BITS;
      const at = Math.floor(key / 8 / JOB_BITS) + base;
      seq = at === lastMs ? seq + 1 : 0;
      lastMs = at;
      const record = jobAt(options, i);
      writeEvent(pipe, k, `${at}-${seq}`, record, eventAt(record, step, at));
      if (pipe.length >= PIPELINE) await flush();
      if ((n + 1) % 1_000_000 === 0) options.log?.(`${n + 1} events written`);
    }
    await flush();
    return { jobs: total, events: sorted.length, elapsedMs: Date.now() - started };
  } finally {
    redis.disconnect();
  }
}
