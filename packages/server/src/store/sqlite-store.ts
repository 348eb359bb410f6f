/**
 * The default store: one SQLite file in WAL mode with `synchronous=FULL`, so a job acknowledged
 * with 201 survives `kill -9` and power loss. better-sqlite3 is synchronous; each method is one
 * transaction and the interface stays asynchronous like the other backends.
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
import { Notifier } from './notifier.js';
import {
  parseEventId,
  type CancelResult,
  type CreateResult,
  type EventType,
  type IdempotencyInput,
  type ListQuery,
  type NewEvent,
  type StepEmission,
  type Store,
  type StoreNotice,
  type StoredEvent,
} from './types.js';

const SCHEMA_VERSION = 1;

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

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #notifier = new Notifier();
  readonly #stmts;
  #idMs = 0;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    // FULL: the WAL is synced on every commit, so an acknowledged write survives power loss.
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('busy_timeout = 5000');
    const version = this.#db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(
        `The database at ${path} has schema version ${version}; this server knows ${SCHEMA_VERSION}`,
      );
    }
    this.#db.exec(SCHEMA);
    this.#db.pragma(`user_version = ${SCHEMA_VERSION}`);
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
      advance: db.prepare('UPDATE jobs SET emitted_step = ? WHERE id = ? AND emitted_step < ?'),
      readEvents: db.prepare(
        'SELECT * FROM events WHERE tenant = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      unfinished: db.prepare(`SELECT * FROM jobs WHERE emitted_step < ${TERMINAL_STEP}`),
      purgeIdem: db.prepare('DELETE FROM idempotency_keys WHERE created_at < ?'),
      purgeEvents: db.prepare('DELETE FROM events WHERE at < ?'),
      ping: db.prepare('SELECT 1'),
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
    if (result.kind === 'created') this.#notifier.publish({ kind: 'event', event: result.event });
    return result;
  }

  async getJob(id: string): Promise<JobRecord | null> {
    const row = this.#stmts.getJob.get(id) as JobRow | undefined;
    return row ? fromRow(row) : null;
  }

  async getJobs(ids: readonly string[]): Promise<JobRecord[]> {
    if (ids.length === 0) return [];
    const rows = this.#db
      .prepare(`SELECT * FROM jobs WHERE id IN (${ids.map(() => '?').join(',')})`)
      .all(...ids) as JobRow[];
    return rows.map(fromRow);
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
        return { kind: 'canceled', record: canceled, event: this.#append(makeEvent(canceled)) };
      })
      .immediate();
    if (result.kind === 'canceled') this.#notifier.publish({ kind: 'event', event: result.event });
    return result;
  }

  async emitSteps(emissions: readonly StepEmission[]): Promise<StoredEvent[]> {
    if (emissions.length === 0) return [];
    const written = this.#db
      .transaction(() => {
        const out: StoredEvent[] = [];
        for (const e of emissions) {
          if (this.#stmts.advance.run(e.step, e.id, e.step).changes === 1)
            out.push(this.#append(e.event));
        }
        return out;
      })
      .immediate();
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
    return this.#db.transaction(() => {
      const keep = keepIds.length ? `AND id NOT IN (${keepIds.map(() => '?').join(',')})` : '';
      const jobs = this.#db
        .prepare(
          `DELETE FROM jobs WHERE emitted_step >= ${TERMINAL_STEP}
           AND COALESCE(canceled_at, finish_at) < ? ${keep}`,
        )
        .run(before, ...keepIds).changes;
      this.#stmts.purgeIdem.run(before);
      this.#stmts.purgeEvents.run(before);
      return jobs;
    })();
  }

  subscribe(listener: (notice: StoreNotice) => void): () => void {
    return this.#notifier.subscribe(listener);
  }

  async ping(): Promise<void> {
    this.#stmts.ping.get();
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
