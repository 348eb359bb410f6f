/** How job records and events are laid out in SQLite rows, and back. */
import type { JobOutcome, JobRecord } from '../sim/job-model.js';
import type { EventType, StoredEvent } from './types.js';

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
