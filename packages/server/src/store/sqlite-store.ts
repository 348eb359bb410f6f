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
import { TERMINAL_STEP, type JobRecord } from '../sim/job-model.js';
import { webhookDeliveryFor } from '../webhooks/delivery-policy.js';
import { AdaptiveBatch, yieldToEventLoop } from '../adaptive-batch.js';
import { Notifier } from './notifier.js';
import { RecordCache } from './record-cache.js';
import { SqliteIdempotencyKeys } from './sqlite-idempotency.js';
import { SqliteLists } from './sqlite-lists.js';
import {
  EVENT_WITH_JOB_FILTER,
  EVENT_WITH_JOB_SQL,
  eventValues,
  fromEventRow,
  fromRow,
  fromUnfinishedRow,
  INSERT_SQL,
  toRow,
  type EventWithJobRow,
  type JobRow,
  type UnfinishedRow,
} from './sqlite-rows.js';
import { SqliteSweep } from './sqlite-sweep.js';
import { SqliteCheckpointer, FALLBACK_CHECKPOINT_PAGES } from './sqlite-checkpointer.js';
import { openDatabase, withRelaxedSync } from './sqlite-schema.js';
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
  MAX_BATCH_READ_IDS,
} from './types.js';

/** Step-write calls at least this long let the log be copied between their chunks. */
const SETTLE_MIN_STEPS = 100;

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #notifier = new Notifier();
  readonly #records = new RecordCache();
  readonly #ownerLock: SqliteOwnerLock | undefined;
  readonly #checkpointer: SqliteCheckpointer | undefined;
  readonly #stmts;
  readonly #webhooks: SqliteWebhooks;
  readonly #lists: SqliteLists;
  readonly #keys: SqliteIdempotencyKeys;
  readonly #sweep: SqliteSweep;
  /**
   * Steps written per transaction (about 6 ms' worth). It starts at its smallest, and that is
   * small: the first transactions after a start are the dearest per step, while the page cache
   * and the log's file still grow into memory the process has not touched before (on a virtual
   * machine each such page can cost tens of microseconds). A catch-up's first transaction of 200
   * steps held the event loop for 38 ms; starting at 50 steps, one still took 30 ms.
   */
  readonly #emitBatch = new AdaptiveBatch(10, 2000, 6);
  /**
   * Records read per turn by a long `getJobs` (about 3 ms' worth; never fewer than the ids a
   * client's batch read may name, so that is read in one turn).
   */
  readonly #readBatch = new AdaptiveBatch(MAX_BATCH_READ_IDS, 1000, 3, MAX_BATCH_READ_IDS);
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
    if (path !== ':memory:') {
      db.pragma(`wal_autocheckpoint = ${FALLBACK_CHECKPOINT_PAGES}`);
      this.#checkpointer = new SqliteCheckpointer(path);
    }
    this.#stmts = {
      insertJob: db.prepare(INSERT_SQL.job),
      getJob: db.prepare('SELECT * FROM jobs WHERE id = ?'),
      getJobs: db.prepare('SELECT * FROM jobs WHERE id IN (SELECT value FROM json_each(?))'),
      insertEvent: db.prepare(INSERT_SQL.event),
      // Ids never go back, so the last event written has the largest.
      lastIdMs: db.prepare('SELECT id_ms AS m FROM events ORDER BY seq DESC LIMIT 1'),
      cancel: db.prepare('UPDATE jobs SET canceled_at = ?, emitted_step = ? WHERE id = ?'),
      advance: db.prepare(`UPDATE jobs SET emitted_step = ? WHERE id = ? AND emitted_step < ?
        RETURNING callback_url, callback_events`),
      readEvents: db.prepare(`${EVENT_WITH_JOB_SQL} WHERE e.tenant = ? AND e.seq > ?
        AND ${EVENT_WITH_JOB_FILTER} ORDER BY e.seq LIMIT ?`),
      // By finish instant: a restart loads the jobs due first first.
      // Only what the scheduler needs (see `UnfinishedJob`).
      unfinished: db.prepare(`SELECT rowid AS row_id, id, tenant, created_at, finish_at,
        canceled_at, emitted_step FROM jobs
        INDEXED BY jobs_unfinished_by_finish WHERE emitted_step < ${TERMINAL_STEP}
        AND finish_at >= @finishAt AND (finish_at > @finishAt OR rowid > @rowId)
        ORDER BY finish_at, rowid LIMIT @limit`),
      ping: db.prepare('SELECT 1'),
    };
    this.#webhooks = new SqliteWebhooks(db);
    this.#lists = new SqliteLists(db);
    this.#keys = new SqliteIdempotencyKeys(db);
    this.#sweep = new SqliteSweep(db, () => this.#settleLog());
    this.#idMs = (this.#stmts.lastIdMs.get() as { m: number } | undefined)?.m ?? 0;
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
          const replay = this.#keys.replay(record.tenant, idem);
          if (replay) return replay;
        }
        this.#stmts.insertJob.run(toRow(record));
        if (idem) {
          this.#keys.add(record, idem);
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
    // More ids than a client's batch read may name is the scheduler's read (a catch-up after a
    // restart reads its jobs 500 at a time, each to be written once): those records are not put
    // in the record cache. They would push out the records clients are asking about, and each
    // would live just long enough to be copied by a young-generation collection or two.
    const cache = ids.length <= MAX_BATCH_READ_IDS;
    // A long list (a batch of the scheduler's catch-up) is read a slice per turn, so no turn of
    // the event loop holds more than a slice of it.
    for (let i = 0; i < missing.length;) {
      if (i > 0) await yieldToEventLoop();
      const n = Math.min(this.#readBatch.size, missing.length - i);
      const started = performance.now();
      const rows = this.#stmts.getJobs.all(JSON.stringify(missing.slice(i, i + n))) as JobRow[];
      for (const row of rows) found.push(cache ? this.#records.set(fromRow(row)) : fromRow(row));
      this.#readBatch.took(n, performance.now() - started);
      i += n;
    }
    return found;
  }

  async listJobs(q: ListQuery): Promise<JobRecord[]> {
    return this.#lists.list(q);
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

  /**
   * Writes in transactions of a few milliseconds each (a catch-up after a restart hands over
   * hundreds at a time), letting other work run between them; each emission stays atomic with
   * its event and delivery, and is announced once its transaction commits.
   */
  async emitSteps(emissions: readonly StepEmission[]): Promise<StoredEvent[]> {
    const written: StoredEvent[] = [];
    for (let i = 0; i < emissions.length;) {
      // Each transaction in a turn of its own: the caller's work before it (reading the records)
      // and every other chunk run in other turns, with requests answered in between.
      await yieldToEventLoop();
      // A long run of writes (a catch-up after a restart) lets the worker copy the log between
      // chunks, so the fallback checkpoint never runs in a commit here. The few steps of everyday
      // traffic skip the check (the worker's timer keeps their log short).
      if (emissions.length >= SETTLE_MIN_STEPS) await this.#settleLog();
      const n = this.#emitBatch.size;
      const started = performance.now();
      written.push(...this.#emitChunk(emissions.slice(i, i + n)));
      this.#emitBatch.took(n, performance.now() - started);
      i += n;
    }
    return written;
  }

  /** Lets the log be copied between two batches of a long run of writes (see the checkpointer). */
  async #settleLog(): Promise<void> {
    await this.#checkpointer?.settle();
  }

  #emitChunk(emissions: readonly StepEmission[]): StoredEvent[] {
    const advanced: StepEmission[] = [];
    // A step lost to a power cut is written again at the next start (its job is still unfinished).
    const written = withRelaxedSync(this.#db, () =>
      this.#db
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
        .immediate(),
    );
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
    return (this.#stmts.readEvents.all(tenant, afterSeq, limit) as EventWithJobRow[]).map(
      fromEventRow,
    );
  }

  async unfinishedJobs(cursor: string | undefined, limit: number): Promise<UnfinishedPage> {
    const [finishAt, rowId] = (cursor ?? '-1,0').split(',').map(Number);
    const rows = this.#stmts.unfinished.all({ finishAt, rowId, limit }) as UnfinishedRow[];
    const last = rows.at(-1);
    if (rows.length < limit || !last)
      return { records: rows.map(fromUnfinishedRow), cursor: undefined };
    // In finish order: every unfinished job finishing no later than the last has been read.
    return {
      records: rows.map(fromUnfinishedRow),
      cursor: `${last.finish_at},${last.row_id}`,
      finishedThrough: last.finish_at,
    };
  }

  async purgeExpired(before: number, keepIds: readonly string[]): Promise<number> {
    return this.#sweep.run(
      before,
      keepIds,
      (ids) => {
        for (const id of ids) this.#records.delete(id);
      },
      () => this.#db.open,
    );
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
    await this.#checkpointer?.close();
    if (this.#db.open) this.#db.close();
    this.#records.clear();
    this.#ownerLock?.release();
  }
}
