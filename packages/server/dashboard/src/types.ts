/** The API's shapes, shared with the server's source so the two cannot drift apart. */
import type { Job, JobStatus } from '../../src/sim/job-model.js';
import type { EventType } from '../../src/store/types.js';

export type { EventType, Job, JobStatus };

export const STATUSES: readonly JobStatus[] = ['pending', 'completed', 'error', 'canceled'];

export const isTerminal = (status: string): boolean =>
  status === 'completed' || status === 'error' || status === 'canceled';

export interface JobPage {
  data: Job[];
  next_cursor: string | null;
}

export interface Settings {
  translation_delay_ms: number;
  translation_delay_jitter: number;
  error_probability: number;
  seeded: boolean;
  store: string;
  retention_ms: number;
  max_waiters: number;
  max_wait_s: number;
  sse_heartbeat_ms: number;
}

export interface StatsCounts {
  created: number;
  completed: number;
  failed: number;
  canceled: number;
}

export interface Stats {
  now: string;
  since: string;
  bucket_ms: number;
  buckets: (StatsCounts & { start: string })[];
  totals: StatsCounts;
}

export interface CreateJobInput {
  target_language: string;
  simulate?: { duration_ms?: number; outcome?: 'completed' | 'error' };
}

export interface Problem {
  status?: number;
  code?: string;
  title?: string;
  detail?: string;
}

/** One attempt at a webhook delivery. */
export interface DeliveryAttempt {
  attempt: number;
  at: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  next_attempt_at: string | null;
}

/** A webhook delivery of a job's event, as `GET /v1/jobs/{id}/deliveries` lists them. */
export interface Delivery {
  id: string;
  event_type: string;
  url: string;
  state: string;
  attempts: number;
  created_at: string;
  next_attempt_at: string | null;
  history: DeliveryAttempt[];
}
