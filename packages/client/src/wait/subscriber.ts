import { createApiError } from '../errors/create-api-error.js';
import type { WaitTransport } from '../options.js';
import type { Job } from '../types/job.js';

/** One running wait, as the engines see it. */
export interface WaitSubscriber {
  readonly jobId: string;
  readonly startedAtMs: number;
  readonly deadlineAtMs: number;
  readonly poll: { readonly minIntervalMs: number; readonly maxIntervalMs: number };
  /** The last state this wait saw. */
  lastJob(): Job | undefined;
  /** Counts a request made (also) on this wait's behalf. */
  countRequest(): void;
  /** Hands over a state; the wait settles itself (and leaves its engine) on a terminal one. */
  deliver(job: Job, transport: WaitTransport): void;
  /** Ends the wait with a non-transient error. */
  fail(error: unknown): void;
}

/** Something that keeps subscribers informed until they leave. */
export interface WaitEngine {
  add(subscriber: WaitSubscriber): void;
  remove(subscriber: WaitSubscriber): void;
  /**
   * The failure of the engine's latest request when it failed, `undefined` once one succeeds: a
   * wait that times out during an outage names it as the cause.
   */
  lastFailure(): unknown;
}

/** Whether `job` tells something `previous` did not (first sight, or a newer version or status). */
export function isNews(previous: Job | undefined, job: Job): boolean {
  return previous === undefined || job.version > previous.version || job.status !== previous.status;
}

const NOT_FOUND = 404;

/** The error a wait gets when a batch answer lists its id in `not_found`. */
export function notFoundError(id: string): Error {
  return createApiError({
    status: NOT_FOUND,
    code: 'job_not_found',
    problem: { detail: `No job ${id}` },
  });
}
