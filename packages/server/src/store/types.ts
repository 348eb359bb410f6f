/**
 * The one interface every store backend fills (memory, SQLite, Redis). Small and asynchronous:
 * each method is one atomic step, and a write's notice is published only after it is durable.
 */
import type { Job, JobRecord, JobStatus } from '../sim/job-model.js';

export const EVENT_TYPES = [
  'job.created',
  'job.updated',
  'job.completed',
  'job.failed',
  'job.canceled',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * One entry of the event log. `id` is `<epochMs>-<seq>`: increasing in the order of writing (the
 * millisecond part never goes back), like a Redis Streams id. `at` is when the change happened.
 */
export interface StoredEvent {
  id: string;
  tenant: string;
  jobId: string;
  type: EventType;
  at: number;
  data: Job;
}

/** An event before the store gives it an id. */
export type NewEvent = Omit<StoredEvent, 'id'>;

export interface IdempotencyInput {
  key: string;
  /** Hash of the request body, to tell a replay from a reuse. */
  fingerprint: string;
}

export type CreateResult =
  | { kind: 'created'; record: JobRecord; event: StoredEvent }
  | { kind: 'replayed'; response: Job }
  | { kind: 'conflict' };

export type CancelResult =
  | { kind: 'canceled'; record: JobRecord; event: StoredEvent }
  | { kind: 'already-canceled'; record: JobRecord }
  | { kind: 'finished'; record: JobRecord }
  | { kind: 'missing' };

export interface ListQuery {
  tenant: string;
  status?: JobStatus | undefined;
  /** Keyset position: jobs strictly older than this (created_at, id) pair. */
  before?: { createdAt: number; id: string } | undefined;
  limit: number;
  now: number;
}

/** A lifecycle step whose event should be written once (compare-and-set on `emittedStep`). */
export interface StepEmission {
  id: string;
  step: number;
  event: NewEvent;
}

/** What a store tells its subscribers after a durable write (on every instance, for shared stores). */
export type StoreNotice = { kind: 'event'; event: StoredEvent };

export interface Store {
  readonly kind: 'memory' | 'sqlite' | 'redis';
  /** Creates the job and its `job.created` event (and the idempotency entry) in one step. */
  createJob(
    record: JobRecord,
    created: NewEvent,
    idempotency?: IdempotencyInput,
  ): Promise<CreateResult>;
  getJob(id: string): Promise<JobRecord | null>;
  getJobs(ids: readonly string[]): Promise<JobRecord[]>;
  /** Newest first: ordered by (createdAt, id) descending. */
  listJobs(query: ListQuery): Promise<JobRecord[]>;
  /** Cancels a pending job and writes its `job.canceled` event in one step. */
  cancelJob(
    id: string,
    now: number,
    makeEvent: (canceled: JobRecord) => NewEvent,
  ): Promise<CancelResult>;
  /** Writes each step's event unless a step as far along was already written; returns what was written. */
  emitSteps(emissions: readonly StepEmission[]): Promise<StoredEvent[]>;
  /** Events of a tenant after `afterId` (exclusive), oldest first. */
  readEvents(tenant: string, afterId: string | undefined, limit: number): Promise<StoredEvent[]>;
  /** Jobs whose terminal event has not been written yet (the scheduler's work list at boot). */
  unfinishedJobs(): Promise<JobRecord[]>;
  /** Deletes finished jobs, idempotency keys and events older than `before`; returns jobs deleted. */
  purgeExpired(before: number, keepIds: readonly string[]): Promise<number>;
  subscribe(listener: (notice: StoreNotice) => void): () => void;
  /** Resolves when the backend answers; rejects otherwise (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Orders event ids `<epochMs>-<seq>` as written; malformed ids sort first. */
export function compareEventIds(a: string, b: string): number {
  const pa = parseEventId(a) ?? { at: -1, seq: -1 };
  const pb = parseEventId(b) ?? { at: -1, seq: -1 };
  return pa.at - pb.at || pa.seq - pb.seq;
}

/** Splits an event id `<epochMs>-<seq>`; `undefined` when malformed. */
export function parseEventId(id: string): { at: number; seq: number } | undefined {
  const m = /^(\d{1,15})-(\d{1,15})$/.exec(id);
  if (!m) return undefined;
  return { at: Number(m[1]), seq: Number(m[2]) };
}
