/**
 * Writes a Redis growth run's jobs straight into Redis in the Redis store's own layout —
 * pipelined, without a server — so a million jobs take a minute, not a day at 100 jobs/s.
 */
import { Redis } from 'ioredis';
import { TERMINAL_STEP, type JobRecord } from '../../../packages/server/src/sim/job-model.js';
import type { NewEvent } from '../../../packages/server/src/store/types.js';
import { eventAt, eventSteps, jobAt, totalJobs, type JobPlan } from './jobs.js';

export interface PopulateOptions extends JobPlan {
  /** `redis://host:port` of an empty Redis (or one whose `prefix` holds nothing). */
  url: string;
  /** The store's key prefix. @default 'vt:' */
  prefix?: string;
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

const eventJson = (event: NewEvent): string =>
  JSON.stringify({
    tenant: event.tenant,
    jobId: event.jobId,
    type: event.type,
    at: event.at,
    data: event.data,
  });

/** The store's layout: one writer per key kind. */
function writeJob(pipe: ReturnType<Redis['pipeline']>, p: string, r: JobRecord): void {
  pipe.hset(
    `${p}job:${r.id}`,
    'r',
    JSON.stringify({ ...r, canceledAt: null, emittedStep: 0 }),
    'tenant',
    r.tenant,
    'finishAt',
    r.finishAt,
    'canceledAt',
    r.canceledAt ?? '',
    'emittedStep',
    r.emittedStep,
  );
  pipe.zadd(`${p}jobs:${r.tenant}`, r.createdAt, r.id);
  if (r.emittedStep < TERMINAL_STEP && r.canceledAt === null) pipe.sadd(`${p}unfinished`, r.id);
}

function writeEvent(
  pipe: ReturnType<Redis['pipeline']>,
  p: string,
  id: string,
  event: NewEvent,
): void {
  pipe.xadd(`${p}events:${event.tenant}`, id, 'e', eventJson(event));
}

/** Writes every job of the plan and its events (in stream order) into Redis. */
export async function populateRedis(options: PopulateOptions): Promise<PopulateSummary> {
  const started = Date.now();
  const prefix = options.prefix ?? 'vt:';
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
    const keys: number[] = [];
    for (let i = 0; i < total; i++) {
      const record = jobAt(options, i);
      writeJob(pipe, prefix, record);
      for (const { step, at } of eventSteps(record)) {
        if (at - base >= AT_BITS) throw new RangeError('the plan spans too long a time');
        keys.push(((at - base) * JOB_BITS + i) * 8 + step);
      }
      if (pipe.length >= PIPELINE) await flush();
      if ((i + 1) % 250_000 === 0) options.log?.(`${i + 1} jobs written`);
    }
    pipe.sadd(`${prefix}tenants`, options.tenant);
    await flush();
    // Events in the order they were written (stream ids only grow).
    const sorted = Float64Array.from(keys).sort();
    keys.length = 0;
    let lastMs = -1;
    let seq = 0;
    for (let k = 0; k < sorted.length; k++) {
      const key = sorted[k] ?? 0;
      const step = key % 8;
      const i = Math.floor(key / 8) % JOB_BITS;
      const at = Math.floor(key / 8 / JOB_BITS) + base;
      seq = at === lastMs ? seq + 1 : 0;
      lastMs = at;
      const record = jobAt(options, i);
      writeEvent(pipe, prefix, `${at}-${seq}`, eventAt(record, step, at));
      if (pipe.length >= PIPELINE) await flush();
      if ((k + 1) % 1_000_000 === 0) options.log?.(`${k + 1} events written`);
    }
    await flush();
    return { jobs: total, events: sorted.length, elapsedMs: Date.now() - started };
  } finally {
    redis.disconnect();
  }
}
