import type { Job } from '../types/job.js';
import { VtransError } from './vtrans-error.js';

/** The job ended with status `error`; `job.error` says why. */
export class JobFailedError extends VtransError {
  override readonly name = 'JobFailedError';
  /** The failed job. */
  readonly job: Job;

  constructor(job: Job) {
    super(
      `Job ${job.id} failed: ${job.error?.code ?? 'error'}${job.error ? ` (${job.error.message})` : ''}`,
    );
    this.job = job;
  }
}

/** Whether `value` is a {@link JobFailedError}. */
export function isJobFailedError(value: unknown): value is JobFailedError {
  return value instanceof JobFailedError;
}
