/**
 * The jobs a Redis growth run stores, generated from their index alone (no state, no randomness
 * beyond a hash of the index), so millions of them never sit in memory at once and every run
 * writes the same data. Four kinds, oldest first: expired (finished before the retention cutoff),
 * finished, finished while the server was down (their terminal event unwritten), and pending.
 */
import { eventForStep } from '../../../packages/server/src/sim/job-events.js';
import {
  stepAt,
  stepInstant,
  TERMINAL_STEP,
  type JobRecord,
} from '../../../packages/server/src/sim/job-model.js';
import type { NewEvent } from '../../../packages/server/src/store/types.js';

export const JOB_KINDS = ['expired', 'finished', 'finishedWhileDown', 'pending'] as const;
export type JobKind = (typeof JOB_KINDS)[number];
export type JobCounts = Record<JobKind, number>;

export interface JobPlan {
  counts: JobCounts;
  tenant: string;
  /** The populated store's "now", epoch ms. */
  now: number;
  /** The retention the server will run with; expired jobs ended before `now - retentionMs`. */
  retentionMs: number;
  /** Creation rate: jobs are spaced `1000 / ratePerSecond` ms apart. */
  ratePerSecond: number;
}

const FINISHED_DURATION_MS = 10_000;
const PENDING_DURATION_MS = 6 * 3_600_000;
const FAILURE = { code: 'translation_failed', message: 'The transcript could not be translated.' };

/** A well-spread 32-bit hash of an integer (for outcome, cancel and step draws). */
function mix(n: number): number {
  let h = Math.imul(n ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export const totalJobs = (c: JobCounts): number =>
  c.expired + c.finished + c.finishedWhileDown + c.pending;

/** Which kind job `i` is (jobs are numbered oldest first across the kinds). */
export function kindOf(plan: JobPlan, i: number): JobKind {
  let start = 0;
  for (const kind of JOB_KINDS) {
    start += plan.counts[kind];
    if (i < start) return kind;
  }
  throw new RangeError(`job ${i} is beyond the plan`);
}

/** The job's record as stored (its `emittedStep` and `canceledAt` as they are now). */
export function jobAt(plan: JobPlan, i: number): JobRecord {
  const kind = kindOf(plan, i);
  const spacingMs = 1000 / plan.ratePerSecond;
  const total = totalJobs(plan.counts);
  const h = mix(i);
  // The newest job is created a hair before now; the rest go back at the creation rate. Expired
  // jobs sit a further retention back, so they ended before the cutoff.
  let createdAt = Math.floor(plan.now - 1000 - (total - i) * spacingMs);
  if (kind === 'expired') createdAt -= plan.retentionMs + FINISHED_DURATION_MS;
  const duration =
    kind === 'pending'
      ? PENDING_DURATION_MS
      : kind === 'finishedWhileDown'
        ? Math.max(1, plan.now - 1 - createdAt - (h % 60_000))
        : FINISHED_DURATION_MS;
  const outcome = h % 10 === 0 ? 'error' : 'completed';
  const canceled = kind !== 'finishedWhileDown' && kind !== 'pending' && h % 20 === 1;
  const record: JobRecord = {
    id: `job_${i.toString(36).padStart(20, '0')}`,
    tenant: plan.tenant,
    sourceUrl: 'https://media.example.com/uploads/video.mp4',
    targetLanguage: 'de',
    callbackUrl: null,
    callbackEvents: null,
    createdAt,
    etaAt: createdAt + FINISHED_DURATION_MS,
    finishAt: createdAt + duration,
    outcome,
    errorCode: outcome === 'error' ? FAILURE.code : null,
    errorMessage: outcome === 'error' ? FAILURE.message : null,
    canceledAt: canceled ? createdAt + Math.floor(duration / 2) : null,
    emittedStep: 0,
  };
  if (kind === 'finishedWhileDown') record.emittedStep = h % TERMINAL_STEP;
  else if (kind === 'pending') record.emittedStep = stepAt(record, plan.now);
  else record.emittedStep = TERMINAL_STEP;
  return record;
}

/** The instants of the events job `i` has written, step by step (index = step; -1 = none). */
export function eventSteps(record: JobRecord): { step: number; at: number }[] {
  const out: { step: number; at: number }[] = [];
  const end = record.canceledAt ?? Infinity;
  for (let step = 0; step <= record.emittedStep; step++) {
    const at =
      step === TERMINAL_STEP ? (record.canceledAt ?? record.finishAt) : stepInstant(record, step);
    if (step < TERMINAL_STEP && at >= end) continue;
    out.push({ step, at });
  }
  return out;
}

/** The event job `record` wrote at `step` (as the scheduler or a cancel would have written it). */
export function eventAt(record: JobRecord, step: number, at: number): NewEvent {
  if (step < TERMINAL_STEP) return eventForStep({ ...record, canceledAt: null }, step, at);
  return eventForStep(record, step, at);
}
