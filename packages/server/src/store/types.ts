/**
 * The one interface every store backend fills (memory, SQLite, Redis). Small and asynchronous:
 * each method is one atomic step, and a write's notice is published only after it is durable.
 */
import type { Job, JobRecord, JobStatus } from '../sim/job-model.js';
import { ProblemError } from '../errors.js';
import type { RateLimiter } from '../rate-limit/types.js';

/**
 * The store's backend does not answer (a shared store while its server is away). A `ProblemError`,
 * so every route answers 503 problem+json `store_unavailable` with `Retry-After` instead of hanging.
 */
export class StoreUnavailableError extends ProblemError {
  constructor(detail: string, options: { cause?: unknown } = {}) {
    super('store_unavailable', detail, { headers: { 'retry-after': '1' } });
    if (options.cause !== undefined) this.cause = options.cause;
  }
}

/**
 * The store holds as many jobs as it may and none can make room (the memory store's job limit,
 * every job still pending): 503 problem+json `store_full` with `Retry-After`.
 */
export class StoreFullError extends ProblemError {
  constructor(detail: string) {
    super('store_full', detail, { headers: { 'retry-after': '1' } });
  }
}

export const EVENT_TYPES = [
  'job.created',
  'job.updated',
  'job.completed',
  'job.failed',
  'job.canceled',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The most job ids one batch read (`GET /v1/jobs?ids=…`) may name. */
export const MAX_BATCH_READ_IDS = 100;

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
  /**
   * The listing instant: statuses are evaluated at it. The clock does not go back, so it is never
   * before the finish instant of a job whose terminal event is written.
   */
  now: number;
}

/**
 * What the scheduler needs of an unfinished job to watch it: a store may hand out only these
 * fields (a full record is one too). Reading a million at a restart, the rest is garbage.
 */
export type UnfinishedJob = Pick<
  JobRecord,
  'id' | 'tenant' | 'createdAt' | 'finishAt' | 'canceledAt' | 'emittedStep'
>;

/** A page of `Store.unfinishedJobs`. */
export interface UnfinishedPage {
  records: UnfinishedJob[];
  /** Where the next page starts; undefined after the last page. */
  cursor: string | undefined;
  /**
   * Optional, for a store that reads the work list in finish order: every unfinished job whose
   * finish instant is at or before this has been on this page or an earlier one. The scheduler is
   * then caught up (every job that finished while the server was down written) without waiting
   * for the jobs that finish later.
   */
  finishedThrough?: number;
}

/** A lifecycle step whose event should be written once (compare-and-set on `emittedStep`). */
export interface StepEmission {
  id: string;
  step: number;
  event: NewEvent;
}

/** Where a webhook delivery stands. `stopped`: the receiver answered 410 Gone. */
export const DELIVERY_STATES = ['pending', 'succeeded', 'failed', 'stopped'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/**
 * A webhook delivery before it is queued (made by `webhookDeliveryFor` in
 * `webhooks/delivery-policy.ts`). A store queues it as `state: 'pending'`, `attempts: 0`,
 * `nextAttemptAt: createdAt`, `leaseUntil: null`, unless a delivery with this id exists.
 */
export interface NewDelivery {
  /** `msg_<job id>_<step>`: the `webhook-id` header, the same on every attempt. */
  id: string;
  tenant: string;
  jobId: string;
  eventType: EventType;
  url: string;
  /** The exact JSON body `{type, timestamp, data: Job}`, serialized once. */
  body: string;
  createdAt: number;
}

export interface WebhookDelivery extends NewDelivery {
  state: DeliveryState;
  /** Attempts recorded so far. */
  attempts: number;
  /** When the next attempt is due (`null` once the delivery is no longer pending). */
  nextAttemptAt: number | null;
  /** Until when an instance that claimed this delivery owns its next attempt. */
  leaseUntil: number | null;
}

/** One recorded attempt of a delivery. */
export interface DeliveryAttempt {
  deliveryId: string;
  /** 1-based. */
  attempt: number;
  /** When the attempt started, epoch ms. */
  at: number;
  durationMs: number;
  /** The receiver's HTTP status; `null` when none came (timeout, refused, connection error). */
  statusCode: number | null;
  error: string | null;
  /** When the next attempt is due; `null` when this was the last. */
  nextAttemptAt: number | null;
}

export interface DeliveryWithAttempts extends WebhookDelivery {
  history: DeliveryAttempt[];
}

/** A tenant's webhook signing secrets: during a rotation's grace period the previous one signs too. */
export interface WebhookSecretSet {
  current: string;
  previous: string | null;
  /** When the previous secret stops signing, epoch ms. */
  previousExpiresAt: number | null;
}

/** What a store tells its subscribers after a durable write (on every instance, for shared stores). */
export type StoreNotice = { kind: 'event'; event: StoredEvent };

export interface Store {
  readonly kind: 'memory' | 'sqlite' | 'redis';
  /**
   * Creates the job and its `job.created` event (and the idempotency entry) in one step. Rejects
   * when a job with this id exists, and with `StoreFullError` when a bounded store cannot make room.
   */
  createJob(
    record: JobRecord,
    created: NewEvent,
    idempotency?: IdempotencyInput,
  ): Promise<CreateResult>;
  getJob(id: string): Promise<JobRecord | null>;
  getJobs(ids: readonly string[]): Promise<JobRecord[]>;
  /** Newest first: ordered by (createdAt, id) descending. */
  listJobs(query: ListQuery): Promise<JobRecord[]>;
  /**
   * Cancels a pending job and writes its `job.canceled` event in one step — with the webhook
   * delivery `webhookDeliveryFor(canceled, event, TERMINAL_STEP)` returns, if any.
   */
  cancelJob(
    id: string,
    now: number,
    makeEvent: (canceled: JobRecord) => NewEvent,
  ): Promise<CancelResult>;
  /**
   * Writes each step's event unless a step as far along was already written; returns what was
   * written. In the same atomic step, queues `webhookDeliveryFor(record, e.event, e.step)` (if not
   * null) for each event written, so a crash can lose neither without the other.
   */
  emitSteps(emissions: readonly StepEmission[]): Promise<StoredEvent[]>;
  /**
   * Events of a tenant after `afterId` (exclusive), oldest first, each with the job as it was at
   * that instant (a store may keep events without it and rebuild it from the record: `materialize`
   * is a function of the record and the instant). Events outlive their job only when the job is
   * kept longer (the default job); an event whose job is gone is left out.
   */
  readEvents(tenant: string, afterId: string | undefined, limit: number): Promise<StoredEvent[]>;
  /**
   * One page of the jobs whose terminal event has not been written yet (the scheduler's work list
   * at boot): about `limit` (fewer, even none, before the last page; Redis may return more, as its
   * SSCAN does — a small set comes whole). Start
   * with `cursor` undefined and pass each page's `cursor` to the next call; it is undefined after
   * the last page. A job may appear on two pages (callers tolerate it); one that stays unfinished
   * throughout appears on at least one.
   */
  unfinishedJobs(cursor: string | undefined, limit: number): Promise<UnfinishedPage>;
  /**
   * Deletes finished jobs, idempotency keys and events older than `before` — and webhook
   * deliveries (with their attempts) created before it that are no longer pending; returns jobs
   * deleted. Works in small batches and lets other work run between them, however much is due:
   * the caller awaits the whole sweep, and starts the next one only after it.
   */
  purgeExpired(before: number, keepIds: readonly string[]): Promise<number>;
  /**
   * Leases up to `limit` pending deliveries due at `now` (`nextAttemptAt <= now`) whose lease is
   * free or expired (`leaseUntil` null or `<= now`), setting `leaseUntil = now + leaseMs`, oldest
   * due first, atomically — so across instances exactly one sends each attempt.
   */
  claimDueDeliveries(now: number, leaseMs: number, limit: number): Promise<WebhookDelivery[]>;
  /**
   * Records attempt `attempt.attempt` of a delivery and moves it on in one step: appends the
   * attempt, sets `attempts = attempt.attempt`, `state`, `nextAttemptAt = attempt.nextAttemptAt`,
   * `leaseUntil = null`. Applies only while the delivery is pending with `attempts ===
   * attempt.attempt - 1`; returns whether it applied.
   */
  recordAttempt(attempt: DeliveryAttempt, state: DeliveryState): Promise<boolean>;
  /** A job's deliveries, oldest first, each with its attempts in order. */
  listDeliveries(jobId: string): Promise<DeliveryWithAttempts[]>;
  /** The tenant's signing secrets, or `null` before the first is set. */
  getWebhookSecrets(tenant: string): Promise<WebhookSecretSet | null>;
  /** Sets the tenant's first secret unless one exists (instances race: the first wins); returns the stored set. */
  initWebhookSecret(tenant: string, secret: string): Promise<WebhookSecretSet>;
  /**
   * Makes `secret` current; the current one becomes `previous`, signing until `now + graceMs`.
   * (Without a current one, just sets it.) Returns the new set.
   */
  rotateWebhookSecret(
    tenant: string,
    secret: string,
    now: number,
    graceMs: number,
  ): Promise<WebhookSecretSet>;
  subscribe(listener: (notice: StoreNotice) => void): () => void;
  /**
   * Rate-limit counters kept in the store, for a store shared by several instances so they all
   * count against the same windows. A store without it leaves each instance its own counters.
   */
  rateLimiter?(): RateLimiter;
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
