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
