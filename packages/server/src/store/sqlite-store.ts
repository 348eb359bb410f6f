/**
 * The default store: one SQLite file in WAL mode with `synchronous=FULL`, so a job acknowledged
 * with 201 survives `kill -9` and power loss. better-sqlite3 is synchronous; each method is one
 * transaction and the interface stays asynchronous like the other backends. One process owns the
 * file (an owner lock refuses a second), so job records are cached in memory and written through:
 * reading a job, the hottest call of all, does not touch the database.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  TERMINAL_STEP,
  type JobOutcome,
  type JobRecord,
  type JobStatus,
} from '../sim/job-model.js';
import { webhookDeliveryFor } from '../webhooks/delivery-policy.js';
import { Notifier } from './notifier.js';
import { RecordCache } from './record-cache.js';
import { SqliteOwnerLock } from './sqlite-owner-lock.js';
import {
  parseEventId,
  type CancelResult,
  type CreateResult,
  type DeliveryAttempt,
  type DeliveryState,
  type DeliveryWithAttempts,
  type EventType,
  type IdempotencyInput,
  type ListQuery,
  type NewEvent,
  type StepEmission,
  type Store,
  type StoreNotice,
  type StoredEvent,
  type NewDelivery,
  type WebhookDelivery,
  type WebhookSecretSet,
} from './types.js';

/** 1: jobs, idempotency keys, events. 2: webhook deliveries, attempts and secrets. */
const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  source_url TEXT,
  target_language TEXT,
  callback_url TEXT,
  callback_events TEXT,
  created_at INTEGER NOT NULL,
  eta_at INTEGER NOT NULL,
  finish_at INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  error_code TEXT,
  error_message TEXT,
  canceled_at INTEGER,
  emitted_step INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_by_tenant ON jobs (tenant, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS jobs_unfinished ON jobs (emitted_step) WHERE emitted_step < ${TERMINAL_STEP};
CREATE TABLE IF NOT EXISTS idempotency_keys (
  tenant TEXT NOT NULL,
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  response TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant, key)
);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id_ms INTEGER NOT NULL,
  at INTEGER NOT NULL,
  tenant TEXT NOT NULL,
  job_id TEXT NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_tenant ON events (tenant, seq);
CREATE INDEX IF NOT EXISTS events_by_time ON events (at);
`;

/** Migration from schema version 1 to 2. */
const WEBHOOK_SCHEMA = `
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  job_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  url TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  lease_until INTEGER
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
  WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_job ON webhook_deliveries (job_id, created_at);
CREATE TABLE IF NOT EXISTS webhook_attempts (
  delivery_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  at INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  status_code INTEGER,
  error TEXT,
  next_attempt_at INTEGER,
  PRIMARY KEY (delivery_id, attempt)
);
CREATE TABLE IF NOT EXISTS webhook_secrets (
  tenant TEXT PRIMARY KEY,
  current TEXT NOT NULL,
  previous TEXT,
  previous_expires_at INTEGER
);
`;

interface DeliveryRow {
  id: string;
  tenant: string;
  job_id: string;
  event_type: string;
  url: string;
  body: string;
  created_at: number;
  state: string;
  attempts: number;
  next_attempt_at: number | null;
  lease_until: number | null;
}

interface AttemptRow {
  delivery_id: string;
  attempt: number;
  at: number;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  next_attempt_at: number | null;
}

interface SecretRow {
  current: string;
  previous: string | null;
  previous_expires_at: number | null;
}

const fromDeliveryRow = (r: DeliveryRow): WebhookDelivery => ({
  id: r.id,
  tenant: r.tenant,
  jobId: r.job_id,
  eventType: r.event_type as EventType,
  url: r.url,
  body: r.body,
  createdAt: r.created_at,
  state: r.state as DeliveryState,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  leaseUntil: r.lease_until,
});

const fromAttemptRow = (r: AttemptRow): DeliveryAttempt => ({
  deliveryId: r.delivery_id,
  attempt: r.attempt,
  at: r.at,
  durationMs: r.duration_ms,
  statusCode: r.status_code,
  error: r.error,
  nextAttemptAt: r.next_attempt_at,
});

const fromSecretRow = (r: SecretRow): WebhookSecretSet => ({
  current: r.current,
  previous: r.previous,
  previousExpiresAt: r.previous_expires_at,
});

interface JobRow {
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

interface EventRow {
  seq: number;
  id_ms: number;
  at: number;
  tenant: string;
  job_id: string;
  type: string;
  data: string;
}

const fromRow = (r: JobRow): JobRecord => ({
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

const toRow = (r: JobRecord): JobRow => ({
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

const fromEventRow = (r: EventRow): StoredEvent => ({
  id: `${r.id_ms}-${r.seq}`,
  at: r.at,
  tenant: r.tenant,
  jobId: r.job_id,
  type: r.type as EventType,
  data: JSON.parse(r.data) as StoredEvent['data'],
});

/** SQL for each status filter; `@now` is bound to the listing's instant. */
const STATUS_SQL: Record<JobStatus, string> = {
  pending: 'canceled_at IS NULL AND finish_at > @now',
  completed: "canceled_at IS NULL AND finish_at <= @now AND outcome = 'completed'",
  error: "canceled_at IS NULL AND finish_at <= @now AND outcome = 'error'",
  canceled: 'canceled_at IS NOT NULL',
};

/** Opens the file in WAL mode and brings its schema up to date (closing it again on failure). */
function openDatabase(path: string): Database.Database {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    // FULL: the WAL is synced on every commit, so an acknowledged write survives power loss.
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(
        `The database at ${path} has schema version ${version}; this server knows ${SCHEMA_VERSION}`,
      );
    }
    db.exec(SCHEMA);
    if (version < 2) db.exec(WEBHOOK_SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #notifier = new Notifier();
  readonly #records = new RecordCache();
  readonly #ownerLock: SqliteOwnerLock | undefined;
  readonly #stmts;
  #idMs = 0;

  constructor(path: string) {
    if (path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true });
      this.#ownerLock = SqliteOwnerLock.acquire(path);
    }
    try {
      this.#db = openDatabase(path);
    } catch (err) {
      this.#ownerLock?.release();
      throw err;
    }
    const db = this.#db;
    this.#stmts = {
      insertJob: db.prepare(`INSERT INTO jobs VALUES (@id, @tenant, @source_url, @target_language,
        @callback_url, @callback_events, @created_at, @eta_at, @finish_at, @outcome, @error_code,
        @error_message, @canceled_at, @emitted_step)`),
      getJob: db.prepare('SELECT * FROM jobs WHERE id = ?'),
      getIdem: db.prepare(
        'SELECT fingerprint, response FROM idempotency_keys WHERE tenant = ? AND key = ?',
      ),
      insertIdem: db.prepare('INSERT INTO idempotency_keys VALUES (?, ?, ?, ?, ?)'),
      insertEvent: db.prepare(
        'INSERT INTO events (id_ms, at, tenant, job_id, type, data) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      lastIdMs: db.prepare('SELECT MAX(id_ms) AS m FROM events'),
      cancel: db.prepare('UPDATE jobs SET canceled_at = ?, emitted_step = ? WHERE id = ?'),
      advance: db.prepare(`UPDATE jobs SET emitted_step = ? WHERE id = ? AND emitted_step < ?
        RETURNING callback_url, callback_events`),
      readEvents: db.prepare(
        'SELECT * FROM events WHERE tenant = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      unfinished: db.prepare(`SELECT * FROM jobs WHERE emitted_step < ${TERMINAL_STEP}`),
      purgeIdem: db.prepare('DELETE FROM idempotency_keys WHERE created_at < ?'),
      purgeEvents: db.prepare('DELETE FROM events WHERE at < ?'),
      ping: db.prepare('SELECT 1'),
      insertDelivery: db.prepare(`INSERT OR IGNORE INTO webhook_deliveries
        (id, tenant, job_id, event_type, url, body, created_at, state, attempts, next_attempt_at)
        VALUES (@id, @tenant, @jobId, @eventType, @url, @body, @createdAt, 'pending', 0, @createdAt)`),
      dueDeliveries: db.prepare(`SELECT * FROM webhook_deliveries WHERE state = 'pending'
        AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until <= @now)
        ORDER BY next_attempt_at LIMIT @limit`),
      lease: db.prepare('UPDATE webhook_deliveries SET lease_until = ? WHERE id = ?'),
      advanceDelivery: db.prepare(`UPDATE webhook_deliveries
        SET attempts = @attempt, state = @state, next_attempt_at = @nextAttemptAt, lease_until = NULL
        WHERE id = @deliveryId AND state = 'pending' AND attempts = @attempt - 1`),
      insertAttempt: db.prepare(`INSERT INTO webhook_attempts VALUES
        (@deliveryId, @attempt, @at, @durationMs, @statusCode, @error, @nextAttemptAt)`),
      deliveriesOfJob: db.prepare(
        'SELECT * FROM webhook_deliveries WHERE job_id = ? ORDER BY created_at, id',
      ),
      attemptsOfJob: db.prepare(`SELECT a.* FROM webhook_attempts a
        JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.job_id = ? ORDER BY a.attempt`),
      purgeAttempts: db.prepare(`DELETE FROM webhook_attempts WHERE delivery_id IN
        (SELECT id FROM webhook_deliveries WHERE created_at < ? AND state != 'pending')`),
      purgeDeliveries: db.prepare(
        "DELETE FROM webhook_deliveries WHERE created_at < ? AND state != 'pending'",
      ),
      getSecrets: db.prepare(
        'SELECT current, previous, previous_expires_at FROM webhook_secrets WHERE tenant = ?',
      ),
      initSecret: db.prepare(
        'INSERT OR IGNORE INTO webhook_secrets (tenant, current) VALUES (?, ?)',
      ),
      putSecrets: db.prepare(`INSERT OR REPLACE INTO webhook_secrets
        (tenant, current, previous, previous_expires_at) VALUES (?, ?, ?, ?)`),
    };
    this.#idMs = (this.#stmts.lastIdMs.get() as { m: number | null }).m ?? 0;
  }

  #append(event: NewEvent): StoredEvent {
    // The id's millisecond part never goes back, even if the clock does.
    this.#idMs = Math.max(this.#idMs, Date.now());
    const info = this.#stmts.insertEvent.run(
      this.#idMs,
      event.at,
      event.tenant,
      event.jobId,
      event.type,
      JSON.stringify(event.data),
    );
    return { ...event, id: `${this.#idMs}-${Number(info.lastInsertRowid)}` };
  }

  async createJob(
    record: JobRecord,
    created: NewEvent,
    idem?: IdempotencyInput,
  ): Promise<CreateResult> {
    const result = this.#db
      .transaction((): CreateResult => {
        if (idem) {
          const existing = this.#stmts.getIdem.get(record.tenant, idem.key) as
            { fingerprint: string; response: string } | undefined;
          if (existing) {
            return existing.fingerprint === idem.fingerprint
              ? { kind: 'replayed', response: JSON.parse(existing.response) as StoredEvent['data'] }
              : { kind: 'conflict' };
          }
        }
        this.#stmts.insertJob.run(toRow(record));
        if (idem) {
          this.#stmts.insertIdem.run(
            record.tenant,
            idem.key,
            idem.fingerprint,
            JSON.stringify(created.data),
            record.createdAt,
          );
        }
        return { kind: 'created', record, event: this.#append(created) };
      })
      .immediate();
    if (result.kind === 'created') {
      this.#records.set(result.record);
      this.#notifier.publish({ kind: 'event', event: result.event });
    }
    return result;
  }

  async getJob(id: string): Promise<JobRecord | null> {
    const cached = this.#records.get(id);
    if (cached) return cached;
    const row = this.#stmts.getJob.get(id) as JobRow | undefined;
    return row ? this.#records.set(fromRow(row)) : null;
  }

  async getJobs(ids: readonly string[]): Promise<JobRecord[]> {
    const found: JobRecord[] = [];
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const cached = this.#records.get(id);
      if (cached) found.push(cached);
      else missing.push(id);
    }
    if (missing.length === 0) return found;
    const rows = this.#db
      .prepare(`SELECT * FROM jobs WHERE id IN (${missing.map(() => '?').join(',')})`)
      .all(...missing) as JobRow[];
    for (const row of rows) found.push(this.#records.set(fromRow(row)));
    return found;
  }

  async listJobs(q: ListQuery): Promise<JobRecord[]> {
    const where = ['tenant = @tenant'];
    if (q.status) where.push(STATUS_SQL[q.status]);
    if (q.before)
      where.push('(created_at < @beforeAt OR (created_at = @beforeAt AND id < @beforeId))');
    const sql = `SELECT * FROM jobs WHERE ${where.join(' AND ')}
      ORDER BY created_at DESC, id DESC LIMIT @limit`;
    const rows = this.#db.prepare(sql).all({
      tenant: q.tenant,
      now: q.now,
      limit: q.limit,
      beforeAt: q.before?.createdAt ?? 0,
      beforeId: q.before?.id ?? '',
    }) as JobRow[];
    return rows.map(fromRow);
  }

  async cancelJob(
    id: string,
    now: number,
    makeEvent: (r: JobRecord) => NewEvent,
  ): Promise<CancelResult> {
    const result = this.#db
      .transaction((): CancelResult => {
        const row = this.#stmts.getJob.get(id) as JobRow | undefined;
        if (!row) return { kind: 'missing' };
        const rec = fromRow(row);
        if (rec.canceledAt !== null) return { kind: 'already-canceled', record: rec };
        if (now >= rec.finishAt) return { kind: 'finished', record: rec };
        this.#stmts.cancel.run(now, TERMINAL_STEP, id);
        const canceled = { ...rec, canceledAt: now, emittedStep: TERMINAL_STEP };
        const event = makeEvent(canceled);
        this.#queueDelivery(webhookDeliveryFor(canceled, event, TERMINAL_STEP));
        return { kind: 'canceled', record: canceled, event: this.#append(event) };
      })
      .immediate();
    if (result.kind === 'canceled') {
      this.#records.set(result.record);
      this.#notifier.publish({ kind: 'event', event: result.event });
    }
    return result;
  }

  async emitSteps(emissions: readonly StepEmission[]): Promise<StoredEvent[]> {
    if (emissions.length === 0) return [];
    const advanced: StepEmission[] = [];
    const written = this.#db
      .transaction(() => {
        const out: StoredEvent[] = [];
        for (const e of emissions) {
          const job = this.#stmts.advance.get(e.step, e.id, e.step) as
            Pick<JobRow, 'callback_url' | 'callback_events'> | undefined;
          if (!job) continue;
          advanced.push(e);
          out.push(this.#append(e.event));
          const callback = {
            callbackUrl: job.callback_url,
            callbackEvents:
              job.callback_events === null ? null : (JSON.parse(job.callback_events) as string[]),
          };
          this.#queueDelivery(webhookDeliveryFor(callback, e.event, e.step));
        }
        return out;
      })
      .immediate();
    for (const e of advanced) this.#records.update(e.id, { emittedStep: e.step });
    for (const event of written) this.#notifier.publish({ kind: 'event', event });
    return written;
  }

  async readEvents(
    tenant: string,
    afterId: string | undefined,
    limit: number,
  ): Promise<StoredEvent[]> {
    const afterSeq = afterId === undefined ? 0 : (parseEventId(afterId)?.seq ?? 0);
    return (this.#stmts.readEvents.all(tenant, afterSeq, limit) as EventRow[]).map(fromEventRow);
  }

  async unfinishedJobs(): Promise<JobRecord[]> {
    return (this.#stmts.unfinished.all() as JobRow[]).map(fromRow);
  }

  async purgeExpired(before: number, keepIds: readonly string[]): Promise<number> {
    const purged = this.#db.transaction(() => {
      const keep = keepIds.length ? `AND id NOT IN (${keepIds.map(() => '?').join(',')})` : '';
      const jobs = this.#db
        .prepare(
          `DELETE FROM jobs WHERE emitted_step >= ${TERMINAL_STEP}
           AND COALESCE(canceled_at, finish_at) < ? ${keep}`,
        )
        .run(before, ...keepIds).changes;
      this.#stmts.purgeIdem.run(before);
      this.#stmts.purgeEvents.run(before);
      this.#stmts.purgeAttempts.run(before);
      this.#stmts.purgeDeliveries.run(before);
      return jobs;
    })();
    // Rare (retention runs every few minutes): forget every cached record rather than track which.
    if (purged > 0) this.#records.clear();
    return purged;
  }

  #queueDelivery(delivery: NewDelivery | null): void {
    if (delivery) this.#stmts.insertDelivery.run(delivery);
  }

  async claimDueDeliveries(
    now: number,
    leaseMs: number,
    limit: number,
  ): Promise<WebhookDelivery[]> {
    return this.#db
      .transaction(() => {
        const rows = this.#stmts.dueDeliveries.all({ now, limit }) as DeliveryRow[];
        for (const row of rows) this.#stmts.lease.run(now + leaseMs, row.id);
        return rows.map((row) => ({ ...fromDeliveryRow(row), leaseUntil: now + leaseMs }));
      })
      .immediate();
  }

  async recordAttempt(attempt: DeliveryAttempt, state: DeliveryState): Promise<boolean> {
    return this.#db
      .transaction(() => {
        if (this.#stmts.advanceDelivery.run({ ...attempt, state }).changes !== 1) return false;
        this.#stmts.insertAttempt.run(attempt);
        return true;
      })
      .immediate();
  }

  async listDeliveries(jobId: string): Promise<DeliveryWithAttempts[]> {
    const attempts = (this.#stmts.attemptsOfJob.all(jobId) as AttemptRow[]).map(fromAttemptRow);
    return (this.#stmts.deliveriesOfJob.all(jobId) as DeliveryRow[]).map((row) => ({
      ...fromDeliveryRow(row),
      history: attempts.filter((a) => a.deliveryId === row.id),
    }));
  }

  async getWebhookSecrets(tenant: string): Promise<WebhookSecretSet | null> {
    const row = this.#stmts.getSecrets.get(tenant) as SecretRow | undefined;
    return row ? fromSecretRow(row) : null;
  }

  async initWebhookSecret(tenant: string, secret: string): Promise<WebhookSecretSet> {
    this.#stmts.initSecret.run(tenant, secret);
    return fromSecretRow(this.#stmts.getSecrets.get(tenant) as SecretRow);
  }

  async rotateWebhookSecret(
    tenant: string,
    secret: string,
    now: number,
    graceMs: number,
  ): Promise<WebhookSecretSet> {
    return this.#db
      .transaction(() => {
        const old = this.#stmts.getSecrets.get(tenant) as SecretRow | undefined;
        const set: WebhookSecretSet = old
          ? { current: secret, previous: old.current, previousExpiresAt: now + graceMs }
          : { current: secret, previous: null, previousExpiresAt: null };
        this.#stmts.putSecrets.run(tenant, set.current, set.previous, set.previousExpiresAt);
        return set;
      })
      .immediate();
  }

  subscribe(listener: (notice: StoreNotice) => void): () => void {
    return this.#notifier.subscribe(listener);
  }

  async ping(): Promise<void> {
    this.#stmts.ping.get();
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
    this.#records.clear();
    this.#ownerLock?.release();
  }
}
