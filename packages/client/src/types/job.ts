/** Every status the API documents, in lifecycle order. */
export const JOB_STATUSES = ['pending', 'completed', 'error', 'canceled'] as const;

/** A documented job status. */
export type JobStatus = (typeof JOB_STATUSES)[number];

/** The statuses after which a job never changes again. */
export const TERMINAL_STATUSES = [
  'completed',
  'error',
  'canceled',
] as const satisfies readonly JobStatus[];

/** A status after which a job never changes again. */
export type TerminalJobStatus = (typeof TERMINAL_STATUSES)[number];

/** The processing stages a pending job goes through (`null` once terminal). */
export type JobStage =
  | 'queued'
  | 'transcribing'
  | 'translating'
  | 'voicing'
  | 'lip_syncing'
  | 'rendering'
  | (string & {});

/** A translation job as the API returns it (wire names, `null` when not applicable). */
export interface Job {
  /** Unguessable id, `job_` followed by 20 base32 characters. */
  readonly id: string;
  /**
   * Current status. A newer server may send a status this client does not know: such a job is
   * never treated as done.
   */
  readonly status: JobStatus | (string & {});
  /** 0..1 */
  readonly progress: number;
  readonly stage: JobStage | null;
  readonly source_url: string | null;
  readonly target_language: string | null;
  readonly created_at: string;
  readonly updated_at: string;
  /** Expected finish (ISO with ms) while pending, else `null`. The real finish may differ. */
  readonly eta: string | null;
  /** The instant the job finished or was canceled (ISO with ms), once terminal. */
  readonly completed_at: string | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly result: { readonly video_url: string } | null;
  /** 1 while pending, +1 on each status change. */
  readonly version: number;
}

/** Body of `POST /v1/jobs`. */
export interface CreateJobInput {
  source_url?: string;
  target_language?: string;
  /** Receives a signed webhook on the terminal change. */
  callback_url?: string;
  callback_events?: string[];
  /**
   * Ask the simulator for a duration (≤ 24 h, exact unless `jitter` is given: then the real
   * duration varies by up to ± that fraction while `eta` reports `duration_ms`) or an outcome.
   */
  simulate?: { duration_ms?: number; jitter?: number; outcome?: 'completed' | 'error' };
}

/** One page of `GET /v1/jobs`. */
export interface JobPage {
  readonly data: readonly Job[];
  readonly next_cursor: string | null;
}

/** The body of the original `GET /status`. */
export interface StatusResponse {
  readonly result: 'pending' | 'completed' | 'error' | (string & {});
}

/**
 * Whether a status is terminal; unknown statuses are not.
 *
 * @example
 * if (isTerminalStatus(job.status)) console.log('done');
 */
export function isTerminalStatus(status: string): status is TerminalJobStatus {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}
