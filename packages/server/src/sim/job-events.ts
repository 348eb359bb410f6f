/** Which event a lifecycle step produces, and its payload: the job as it was at that instant. */
import type { EventType, NewEvent } from '../store/types.js';
import { materialize, TERMINAL_STEP, type JobRecord } from './job-model.js';

export function eventTypeForStep(rec: JobRecord, step: number): EventType {
  if (step === 0) return 'job.created';
  if (step < TERMINAL_STEP) return 'job.updated';
  if (rec.canceledAt !== null) return 'job.canceled';
  return rec.outcome === 'completed' ? 'job.completed' : 'job.failed';
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
