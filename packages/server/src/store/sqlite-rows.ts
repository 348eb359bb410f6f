/** How job records and events are laid out in SQLite rows, and back. */
import type { JobOutcome, JobRecord } from '../sim/job-model.js';
import type { EventType, IdempotencyInput, NewEvent, StoredEvent } from './types.js';

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

export interface EventRow {
  seq: number;
  id_ms: number;
  at: number;
  tenant: string;
  job_id: string;
  type: string;
  data: string;
}

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

export const fromEventRow = (r: EventRow): StoredEvent => ({
  id: `${r.id_ms}-${r.seq}`,
  at: r.at,
  tenant: r.tenant,
  jobId: r.job_id,
  type: r.type as EventType,
  data: JSON.parse(r.data) as StoredEvent['data'],
});

/** The statements that add a job, an idempotency key and an event (the store's only inserts). */
export const INSERT_SQL = {
  job: `INSERT INTO jobs VALUES (@id, @tenant, @source_url, @target_language, @callback_url,
    @callback_events, @created_at, @eta_at, @finish_at, @outcome, @error_code, @error_message,
    @canceled_at, @emitted_step)`,
  idempotencyKey: 'INSERT INTO idempotency_keys VALUES (?, ?, ?, ?, ?)',
  event: 'INSERT INTO events (id_ms, at, tenant, job_id, type, data) VALUES (?, ?, ?, ?, ?, ?)',
} as const;

/** `INSERT_SQL.idempotencyKey`'s values: the key answers with the job as created. */
export const idempotencyValues = (
  record: JobRecord,
  idem: IdempotencyInput,
  created: NewEvent,
): [string, string, string, string, number] => [
  record.tenant,
  idem.key,
  idem.fingerprint,
  JSON.stringify(created.data),
  record.createdAt,
];

/** `INSERT_SQL.event`'s values for an event whose id has millisecond part `idMs`. */
export const eventValues = (
  event: NewEvent,
  idMs: number,
): [number, number, string, string, string, string] => [
  idMs,
  event.at,
  event.tenant,
  event.jobId,
  event.type,
  JSON.stringify(event.data),
];
