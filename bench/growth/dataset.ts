/**
 * The jobs a growth run stores, drawn deterministically: what a server would have written had it
 * taken `jobs` jobs at `ratePerS`, as records (in their final state) and as events (in the order a
 * server writes them, which is time order). Three kinds:
 *
 * - `pending`: every job still running (48 h ± 20 %), created up to a second ago;
 * - `finished`: every job ended (10 s ± 20 %) and its terminal event written, a minute ago and
 *   earlier — 10 % failed, 1 % canceled half-way;
 * - `finished-while-down`: every job was running when the server stopped five seconds ago and has
 *   finished since, so none has its terminal event: a restart must catch all of them up.
 *
 * All jobs belong to the open tenant, and each was created with an Idempotency-Key, as the client
 * sends one with every creation.
 */
import { createHash } from 'node:crypto';
import { eventForStep } from '../../packages/server/src/sim/job-events.js';
import {
  stepInstant,
  TERMINAL_STEP,
  type JobRecord,
} from '../../packages/server/src/sim/job-model.js';
import { createRandom } from '../../packages/server/src/sim/rng.js';
import { MinHeap } from '../../packages/server/src/wait/min-heap.js';
import type { NewEvent } from '../../packages/server/src/store/types.js';

export const DATASET_KINDS = ['pending', 'finished', 'finished-while-down'] as const;
export type DatasetKind = (typeof DATASET_KINDS)[number];

export const TENANT = 'public';

export interface DatasetPlan {
  kind: DatasetKind;
  jobs: number;
  /** Creations per second. */
  ratePerS: number;
  /** The instant the data was drawn at ("now" for the populated store). */
  nowMs: number;
  /** Events at or before this instant are written (the server's last moment up). */
  writtenUntilMs: number;
}

export function planDataset(
  kind: DatasetKind,
  jobs: number,
  nowMs = Date.now(),
  ratePerS = 100,
): DatasetPlan {
  const writtenUntilMs = kind === 'finished-while-down' ? nowMs - 5000 : nowMs;
  return { kind, jobs, ratePerS, nowMs, writtenUntilMs };
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** Job `i`'s id: `job_`, 20 characters, ordered as `i` (base 32 in an alphabet in ASCII order). */
export function jobIdOf(i: number): string {
  const sorted = [...ALPHABET].sort().join('');
  let s = '';
  for (let n = i; s.length < 20; n = Math.floor(n / 32)) s = sorted[n % 32] + s;
  return `job_${s}`;
}

/** When job `i` was created. */
export function createdAtOf(plan: DatasetPlan, i: number): number {
  const intervalMs = 1000 / plan.ratePerS;
  const lastAt =
    plan.kind === 'pending'
      ? plan.nowMs - 1000
      : plan.kind === 'finished'
        ? plan.nowMs - 60_000
        : plan.writtenUntilMs - 1;
  return Math.round(lastAt - (plan.jobs - 1 - i) * intervalMs);
}

export interface DrawnJob {
  /** The record as the store holds it at `writtenUntilMs`. */
  record: JobRecord;
  /** As it was created (nothing emitted, not canceled). */
  created: JobRecord;
  idempotencyKey: string;
  fingerprint: string;
}

/** Job `i`, the same every time for the same plan. */
export function drawJob(plan: DatasetPlan, i: number): DrawnJob {
  const random = createRandom(`${plan.kind}:${i}`);
  const createdAt = createdAtOf(plan, i);
  const meanMs = plan.kind === 'pending' ? 48 * 3_600_000 : 10_000;
  const durationMs = Math.round(meanMs * (1 + 0.2 * (random() * 2 - 1)));
  const failed = random() < 0.1;
  const canceled = plan.kind === 'finished' && random() < 0.01;
  const finishAt =
    plan.kind === 'finished-while-down'
      ? plan.writtenUntilMs + 1 + (i % 4000)
      : createdAt + durationMs;
  const created: JobRecord = {
    id: jobIdOf(i),
    tenant: TENANT,
    sourceUrl: `https://media.example.com/videos/${i}.mp4`,
    targetLanguage: ['de', 'fr', 'es', 'ja'][i % 4]!,
    callbackUrl: null,
    callbackEvents: null,
    createdAt,
    etaAt: createdAt + meanMs,
    finishAt,
    outcome: failed ? 'error' : 'completed',
    errorCode: failed ? 'render_failed' : null,
    errorMessage: failed ? 'The translated video could not be rendered.' : null,
    canceledAt: null,
    emittedStep: 0,
  };
  const canceledAt = canceled ? createdAt + Math.floor((finishAt - createdAt) / 2) : null;
  let emittedStep = 0;
  if (canceledAt !== null) emittedStep = TERMINAL_STEP;
  else
    while (
      emittedStep < TERMINAL_STEP &&
      stepInstant(created, emittedStep + 1) <= plan.writtenUntilMs
    )
      emittedStep++;
  const key = `idem-${plan.kind}-${i}`;
  return {
    record: { ...created, canceledAt, emittedStep },
    created,
    idempotencyKey: key,
    fingerprint: createHash('sha256').update(key).digest('base64url'),
  };
}

/** A written event, in writing order. */
export interface DatasetEvent {
  job: DrawnJob;
  step: number;
  event: NewEvent;
}

interface Next {
  at: number;
  i: number;
  step: number;
  job: DrawnJob;
}

/** Every event the server would have written, in the order it wrote them (time order). */
export function* eventsInOrder(plan: DatasetPlan): Generator<DatasetEvent> {
  const heap = new MinHeap<Next>();
  const eventOf = (n: Next): DatasetEvent => {
    const { record, created } = n.job;
    const isCancel = n.step === TERMINAL_STEP && record.canceledAt !== null;
    const as = isCancel ? { ...created, canceledAt: record.canceledAt } : created;
    return { job: n.job, step: n.step, event: eventForStep(as, n.step, n.at) };
  };
  const queueAfter = (n: Next) => {
    const { record, created } = n.job;
    if (n.step >= record.emittedStep) return;
    const step = n.step + 1;
    const at =
      step === TERMINAL_STEP && record.canceledAt !== null
        ? record.canceledAt
        : stepInstant(created, step);
    // A canceled job writes no stage after its cancellation: its next event is the cancel.
    if (record.canceledAt !== null && at > record.canceledAt)
      heap.push({ at: record.canceledAt, i: n.i, step: TERMINAL_STEP, job: n.job });
    else heap.push({ at, i: n.i, step, job: n.job });
  };
  for (let i = 0; i < plan.jobs; i++) {
    const job = drawJob(plan, i);
    const first: Next = { at: job.created.createdAt, i, step: 0, job };
    for (let top = heap.peek(); top && top.at < first.at; top = heap.peek()) {
      heap.pop();
      yield eventOf(top);
      queueAfter(top);
    }
    yield eventOf(first);
    queueAfter(first);
  }
  for (let top = heap.pop(); top; top = heap.pop()) {
    yield eventOf(top);
    queueAfter(top);
  }
}

/** The cursor `GET /v1/jobs` gives out for a page ending at job `i` (see routes/job-list.ts). */
export function cursorAt(plan: DatasetPlan, i: number): string {
  return Buffer.from(JSON.stringify([createdAtOf(plan, i), jobIdOf(i)])).toString('base64url');
}
