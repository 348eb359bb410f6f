import type { Job } from '../types/job.js';
import { VtransError } from './vtrans-error.js';

/**
 * A wait reached its `timeoutMs` before the job finished. The job keeps running: call
 * `waitForJob(error.jobId)` again to resume. When the wait's last request had failed (the server
 * down, unreachable, answering 5xx…), that failure is the `cause` and the message says so.
 */
export class WaitTimeoutError extends VtransError {
  override readonly name = 'WaitTimeoutError';
  /** The job waited on. */
  readonly jobId: string;
  /** The last state seen, or `undefined` if no answer arrived. */
  readonly lastJob: Job | undefined;
  /** How long the wait lasted, in ms. */
  readonly elapsedMs: number;
  /** How many HTTP requests served this wait (shared ones included). */
  readonly requests: number;

  constructor(init: {
    jobId: string;
    lastJob: Job | undefined;
    elapsedMs: number;
    requests: number;
    /** The failure of the wait's last request, when it failed. */
    cause?: unknown;
  }) {
    const state = `Job ${init.jobId} still ${init.lastJob?.status ?? 'unknown'} after ${init.elapsedMs} ms (${init.requests} requests)`;
    super(
      init.cause === undefined
        ? state
        : `${state}; the last request failed: ${describe(init.cause)}`,
      { cause: init.cause },
    );
    this.jobId = init.jobId;
    this.lastJob = init.lastJob;
    this.elapsedMs = init.elapsedMs;
    this.requests = init.requests;
  }
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/** Whether `value` is a {@link WaitTimeoutError}. */
export function isWaitTimeoutError(value: unknown): value is WaitTimeoutError {
  return value instanceof WaitTimeoutError;
}
