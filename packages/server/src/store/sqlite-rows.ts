/** How job records and events are laid out in SQLite rows, and back. */
import { eventData } from '../sim/job-events.js';
import type { Job, JobOutcome, JobRecord } from '../sim/job-model.js';
import type { EventType, IdempotencyInput, NewEvent, StoredEvent, UnfinishedJob } from './types.js';

export interface JobRow {
  id: string;
  tenant: string;
  source_url: string | null;
  target_language: string | null;
  callback_url: string | null;
  callback_events: string | null;
  created_at: number;
  eta_at: number;
  finish_at: number;
  outcome: string;
  error_code: string | null;
  error_message: string | null;
  canceled_at: number | null;
  emitted_step: number;
}

/**
 * An event with its job's row beside it (`EVENT_WITH_JOB_SQL`). An event's `data` is empty since
 * schema version 3 — the job is rebuilt from its record — and holds the job as JSON before.
 */
export interface EventWithJobRow extends Partial<JobRow> {
  e_seq: number;
  e_id_ms: number;
  e_at: number;
  e_tenant: string;
  e_job_id: string;
  e_type: string;
  e_data: string;
}

/** Events and their jobs' rows; an event whose job is gone is left out (unless it carries it). */
export const EVENT_WITH_JOB_SQL = `SELECT e.seq AS e_seq, e.id_ms AS e_id_ms, e.at AS e_at,
  e.tenant AS e_tenant, e.job_id AS e_job_id, e.type AS e_type, e.data AS e_data, j.*
  FROM events e LEFT JOIN jobs j ON j.id = e.job_id`;
export const EVENT_WITH_JOB_FILTER = "(e.data != '' OR j.id IS NOT NULL)";

export const fromRow = (r: JobRow): JobRecord => ({
  id: r.id,
  tenant: r.tenant,
  sourceUrl: r.source_url,
  targetLanguage: r.target_language,
  callbackUrl: r.callback_url,
  callbackEvents: r.callback_events === null ? null : (JSON.parse(r.callback_events) as string[]),
  createdAt: r.created_at,
  etaAt: r.eta_at,
  finishAt: r.finish_at,
  outcome: r.outcome as JobOutcome,
  errorCode: r.error_code,
  errorMessage: r.error_message,
  canceledAt: r.canceled_at,
  emittedStep: r.emitted_step,
});

/** The columns of a work-list row (`Store.unfinishedJobs`), with its rowid for the cursor. */
export type UnfinishedRow = Pick<
  JobRow,
  'id' | 'tenant' | 'created_at' | 'finish_at' | 'canceled_at' | 'emitted_step'
> & { row_id: number };

export const fromUnfinishedRow = (r: UnfinishedRow): UnfinishedJob => ({
  id: r.id,
  tenant: r.tenant,
  createdAt: r.created_at,
  finishAt: r.finish_at,
  canceledAt: r.canceled_at,
  emittedStep: r.emitted_step,
});

export const toRow = (r: JobRecord): JobRow => ({
  id: r.id,
  tenant: r.tenant,
  source_url: r.sourceUrl,
  target_language: r.targetLanguage,
  callback_url: r.callbackUrl,
  callback_events: r.callbackEvents === null ? null : JSON.stringify(r.callbackEvents),
  created_at: r.createdAt,
  eta_at: r.etaAt,
  finish_at: r.finishAt,
  outcome: r.outcome,
  error_code: r.errorCode,
  error_message: r.errorMessage,
  canceled_at: r.canceledAt,
  emitted_step: r.emittedStep,
});

export function fromEventRow(r: EventWithJobRow): StoredEvent {
  const type = r.e_type as EventType;
  return {
    id: `${r.e_id_ms}-${r.e_seq}`,
    at: r.e_at,
    tenant: r.e_tenant,
    jobId: r.e_job_id,
    type,
    data:
      r.e_data !== ''
        ? (JSON.parse(r.e_data) as Job)
        : eventData(fromRow(r as JobRow), type, r.e_at),
  };
}

/** The statements that add a job, an idempotency key and an event (the store's only inserts). */
export const INSERT_SQL = {
  job: `INSERT INTO jobs VALUES (@id, @tenant, @source_url, @target_language, @callback_url,
    @callback_events, @created_at, @eta_at, @finish_at, @outcome, @error_code, @error_message,
    @canceled_at, @emitted_step)`,
  idempotencyKey: `INSERT INTO idempotency_keys (tenant, key, fingerprint, response, created_at, job_id)
    VALUES (?, ?, ?, '', ?, ?)`,
  event: 'INSERT INTO events (id_ms, at, tenant, job_id, type, data) VALUES (?, ?, ?, ?, ?, ?)',
} as const;

/**
 * `INSERT_SQL.idempotencyKey`'s values. The key answers a replay with the job as created, rebuilt
 * from the job's record (`response` holds it as JSON only in keys written before schema 3).
 */
export const idempotencyValues = (
  record: JobRecord,
  idem: IdempotencyInput,
): [string, string, string, number, string] => [
  record.tenant,
  idem.key,
  idem.fingerprint,
  record.createdAt,
  record.id,
];

/**
 * `INSERT_SQL.event`'s values for an event whose id has millisecond part `idMs`. The job is not
 * stored with it: `fromEventRow` rebuilds it from the job's record and the event's instant.
 */
export const eventValues = (
  event: NewEvent,
  idMs: number,
): [number, number, string, string, string, string] => [
  idMs,
  event.at,
  event.tenant,
  event.jobId,
  event.type,
  '',
];
