/** Which event a lifecycle step produces, and its payload: the job as it was at that instant. */
import type { EventType, NewEvent } from '../store/types.js';
import {
  JOB_STAGES,
  materialize,
  TERMINAL_STEP,
  type Job,
  type JobRecord,
  type JobStatus,
} from './job-model.js';

/** The event announcing a job now in this status (a pending job's changes are updates). */
export const EVENT_FOR_STATUS: Readonly<Record<JobStatus, EventType>> = {
  pending: 'job.updated',
  completed: 'job.completed',
  error: 'job.failed',
  canceled: 'job.canceled',
};

export function eventTypeForStep(rec: JobRecord, step: number): EventType {
  if (step === 0) return 'job.created';
  if (step < TERMINAL_STEP) return 'job.updated';
  return EVENT_FOR_STATUS[rec.canceledAt !== null ? 'canceled' : rec.outcome];
}

export function eventForStep(rec: JobRecord, step: number, at: number): NewEvent {
  return {
    tenant: rec.tenant,
    jobId: rec.id,
    type: eventTypeForStep(rec, step),
    at,
    data: materialize(rec, at),
  };
}

/**
 * The payload of an event of `record`'s job, rebuilt from the record as it is now: the job at `at`.
 * Only a cancellation's own event shows the job canceled — every other event of a job is written
 * before its cancellation (none after), and the record's other fields never change.
 */
export function eventData(record: JobRecord, type: EventType, at: number): Job {
  return materialize(
    type === 'job.canceled' || record.canceledAt === null
      ? record
      : { ...record, canceledAt: null },
    at,
  );
}

/**
 * The lifecycle step a job is at, as the API shows it: 0–5 while pending (the index of its stage,
 * `queued` … `rendering`), `TERMINAL_STEP` once it ended. Steps only grow, so they order a job's
 * changes; the per-job event stream uses them as event ids, webhooks in their `webhook-id`.
 */
export function stepOf(job: Pick<Job, 'status' | 'stage'>): number {
  if (job.status !== 'pending') return TERMINAL_STEP;
  const index = job.stage === null ? -1 : JOB_STAGES.indexOf(job.stage);
  return Math.max(0, index);
}
