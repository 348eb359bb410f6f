import type { Job } from './job.js';

/** A verified webhook delivery. */
export interface WebhookEvent {
  /** The `webhook-id` header: stable across retries, dedupe on it. */
  readonly id: string;
  /** The `webhook-timestamp` header, in ms since the epoch. */
  readonly timestampMs: number;
  /** e.g. `job.completed`, `job.failed`, `job.canceled`, `job.updated`. */
  readonly type: string;
  /** The payload's own `timestamp` field. */
  readonly timestamp: string;
  readonly data: Job;
}
