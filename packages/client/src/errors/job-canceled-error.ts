import type { Job } from '../types/job.js';
import { VtransError } from './vtrans-error.js';

/** The job was canceled before it finished. */
export class JobCanceledError extends VtransError {
  override readonly name = 'JobCanceledError';
  /** The canceled job. */
  readonly job: Job;

  constructor(job: Job) {
    super(`Job ${job.id} was canceled`);
    this.job = job;
  }
}

/** Whether `value` is a {@link JobCanceledError}. */
export function isJobCanceledError(value: unknown): value is JobCanceledError {
  return value instanceof JobCanceledError;
}
