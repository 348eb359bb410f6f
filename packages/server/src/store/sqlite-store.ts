/**
 * The default store: one SQLite file in WAL mode with `synchronous=FULL`, so a job acknowledged
 * with 201 survives `kill -9` and power loss. better-sqlite3 is synchronous; each method is one
 * transaction and the interface stays asynchronous like the other backends. One process owns the
 * file (an owner lock refuses a second), so job records are cached in memory and written through:
 * reading a job, the hottest call of all, does not touch the database. The schema is in
 * `sqlite-schema.ts`, the row layout in `sqlite-rows.ts`, webhooks in `sqlite-webhooks.ts`.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { TERMINAL_STEP, type JobRecord, type JobStatus } from '../sim/job-model.js';
import { webhookDeliveryFor } from '../webhooks/delivery-policy.js';
import { Notifier } from './notifier.js';
import { RecordCache } from './record-cache.js';
import {
  eventValues,
  fromEventRow,
  fromRow,
  idempotencyValues,
  INSERT_SQL,
  toRow,
  type EventRow,
  type JobRow,
} from './sqlite-rows.js';
import { openDatabase } from './sqlite-schema.js';
import { SqliteOwnerLock } from './sqlite-owner-lock.js';
import { SqliteWebhooks } from './sqlite-webhooks.js';
import {
  parseEventId,
  type CancelResult,
  type CreateResult,
  type DeliveryAttempt,
  type DeliveryState,
  type DeliveryWithAttempts,
  type IdempotencyInput,
  type ListQuery,
  type NewEvent,
  type StepEmission,
  type Store,
  type StoreNotice,
  type StoredEvent,
  type UnfinishedPage,
  type WebhookDelivery,
  type WebhookSecretSet,
} from './types.js';

/** SQL for each status filter; `@now` is bound to the listing's instant. */
const STATUS_SQL: Record<JobStatus, string> = {
  pending: 'canceled_at IS NULL AND finish_at > @now',
  completed: "canceled_at IS NULL AND finish_at <= @now AND outcome = 'completed'",
  error: "canceled_at IS NULL AND finish_at <= @now AND outcome = 'error'",
  canceled: 'canceled_at IS NOT NULL',
};

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #notifier = new Notifier();
  readonly #records = new RecordCache();
  readonly #ownerLock: SqliteOwnerLock | undefined;
  readonly #stmts;
  readonly #webhooks: SqliteWebhooks;
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
      insertJob: db.prepare(INSERT_SQL.job),
      getJob: db.prepare('SELECT * FROM jobs WHERE id = ?'),
      getIdem: db.prepare(
        'SELECT fingerprint, response FROM idempotency_keys WHERE tenant = ? AND key = ?',
      ),
      insertIdem: db.prepare(INSERT_SQL.idempotencyKey),
      insertEvent: db.prepare(INSERT_SQL.event),
      lastIdMs: db.prepare('SELECT MAX(id_ms) AS m FROM events'),
      cancel: db.prepare('UPDATE jobs SET canceled_at = ?, emitted_step = ? WHERE id = ?'),
      advance: db.prepare(`UPDATE jobs SET emitted_step = ? WHERE id = ? AND emitted_step < ?
        RETURNING callback_url, callback_events`),
      readEvents: db.prepare(
        'SELECT * FROM events WHERE tenant = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      unfinished: db.prepare(
        `SELECT * FROM jobs WHERE emitted_step < ${TERMINAL_STEP} AND id > ? ORDER BY id LIMIT ?`,
      ),
      purgeIdem: db.prepare('DELETE FROM idempotency_keys WHERE created_at < ?'),
      purgeEvents: db.prepare('DELETE FROM events WHERE at < ?'),
      ping: db.prepare('SELECT 1'),
    };
    this.#webhooks = new SqliteWebhooks(db);
    this.#idMs = (this.#stmts.lastIdMs.get() as { m: number | null }).m ?? 0;
  }

  #append(event: NewEvent): StoredEvent {
    // The id's millisecond part never goes back, even if the clock does.
    this.#idMs = Math.max(this.#idMs, Date.now());
    const info = this.#stmts.insertEvent.run(...eventValues(event, this.#idMs));
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
          this.#stmts.insertIdem.run(...idempotencyValues(record, idem, created));
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
        this.#webhooks.queue(webhookDeliveryFor(canceled, event, TERMINAL_STEP));
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
          this.#webhooks.queue(webhookDeliveryFor(callback, e.event, e.step));
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

  async unfinishedJobs(cursor: string | undefined, limit: number): Promise<UnfinishedPage> {
    const rows = this.#stmts.unfinished.all(cursor ?? '', limit) as JobRow[];
    return {
      records: rows.map(fromRow),
      cursor: rows.length < limit ? undefined : rows[rows.length - 1]?.id,
    };
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
      this.#webhooks.purge(before);
      return jobs;
    })();
    // Rare (retention runs every few minutes): forget every cached record rather than track which.
    if (purged > 0) this.#records.clear();
    return purged;
  }

  async claimDueDeliveries(
    now: number,
    leaseMs: number,
    limit: number,
  ): Promise<WebhookDelivery[]> {
    return this.#webhooks.claimDueDeliveries(now, leaseMs, limit);
  }

  async recordAttempt(attempt: DeliveryAttempt, state: DeliveryState): Promise<boolean> {
    return this.#webhooks.recordAttempt(attempt, state);
  }

  async listDeliveries(jobId: string): Promise<DeliveryWithAttempts[]> {
    return this.#webhooks.listDeliveries(jobId);
  }

  async getWebhookSecrets(tenant: string): Promise<WebhookSecretSet | null> {
    return this.#webhooks.getWebhookSecrets(tenant);
  }

  async initWebhookSecret(tenant: string, secret: string): Promise<WebhookSecretSet> {
    return this.#webhooks.initWebhookSecret(tenant, secret);
  }

  async rotateWebhookSecret(
    tenant: string,
    secret: string,
    now: number,
    graceMs: number,
  ): Promise<WebhookSecretSet> {
    return this.#webhooks.rotateWebhookSecret(tenant, secret, now, graceMs);
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
