/**
 * The SQLite store's retention sweep. Everything past the cutoff is deleted in short transactions
 * (committed without waiting for the disk: a sweep lost to a power cut is simply done again)
 * on indexed columns — idempotency keys, then events (before the jobs they are rebuilt from), then
 * finished jobs, then settled webhook deliveries with their attempts — and the event loop runs
 * between them, so a sweep of millions of rows never holds the server for long. A batch grows
 * while it stays quick and shrinks when it does not. Afterwards, on a file created with
 * incremental auto-vacuum, the pages freed are handed back to the system a few at a time.
 */
import type Database from 'better-sqlite3';
import { TERMINAL_STEP } from '../sim/job-model.js';
import { AdaptiveBatch, yieldToEventLoop } from '../adaptive-batch.js';
import { withRelaxedSync } from './sqlite-schema.js';

/** A transaction should take about 5 ms (its commit does not wait for the disk). */
const BATCH_MIN_ROWS = 100;
const BATCH_MAX_ROWS = 1000;
const BATCH_TARGET_MS = 5;
/**
 * Pages handed back per step, sized to take about 4 ms: with hundreds of thousands of pages
 * free, SQLite takes up to half a millisecond a page (it looks each one up in the free list), and
 * a fixed 64 held the event loop for 20–40 ms a step. Only once this many (and a tenth of the
 * file) are free.
 */
const VACUUM_MIN_STEP_PAGES = 1;
const VACUUM_MAX_STEP_PAGES = 64;
const VACUUM_TARGET_MS = 4;
const VACUUM_MIN_FREE_PAGES = 1024;

export class SqliteSweep {
  readonly #db: Database.Database;
  readonly #stmts;
  readonly #batch = new AdaptiveBatch(BATCH_MIN_ROWS, BATCH_MAX_ROWS, BATCH_TARGET_MS);

  /** `settle`: waits, between two batches, for the write-ahead log to be copied if it grew long. */
  constructor(
    db: Database.Database,
    private readonly settle: () => Promise<void>,
  ) {
    this.#db = db;
    this.#stmts = {
      keys: db.prepare(`DELETE FROM idempotency_keys WHERE rowid IN (SELECT rowid FROM
        idempotency_keys INDEXED BY idempotency_keys_by_time WHERE created_at < ? LIMIT ?)`),
      events: db.prepare(`DELETE FROM events WHERE seq IN (SELECT seq FROM events
        INDEXED BY events_by_time WHERE at < ? LIMIT ?)`),
      jobs: db.prepare(`DELETE FROM jobs WHERE rowid IN (SELECT rowid FROM jobs
        INDEXED BY jobs_by_end WHERE emitted_step >= ${TERMINAL_STEP}
        AND COALESCE(canceled_at, finish_at) < ? AND id NOT IN (SELECT value FROM json_each(?))
        LIMIT ?) RETURNING id`),
      deliveries:
        db.prepare(`SELECT id FROM webhook_deliveries INDEXED BY webhook_deliveries_settled
        WHERE state != 'pending' AND created_at < ? LIMIT ?`),
      deleteAttempts: db.prepare(
        'DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT value FROM json_each(?))',
      ),
      deleteDeliveries: db.prepare(
        'DELETE FROM webhook_deliveries WHERE id IN (SELECT value FROM json_each(?))',
      ),
    };
  }

  /**
   * Deletes what is past `before` (never the jobs in `keepIds`), telling `onJobsDeleted` the ids
   * of each batch of jobs; returns the number of jobs deleted. Stops early once `isOpen` is false.
   */
  async run(
    before: number,
    keepIds: readonly string[],
    onJobsDeleted: (ids: readonly string[]) => void,
    isOpen: () => boolean,
  ): Promise<number> {
    const keep = JSON.stringify(keepIds);
    const s = this.#stmts;
    await this.#drain(isOpen, (n) => s.keys.run(before, n).changes);
    await this.#drain(isOpen, (n) => s.events.run(before, n).changes);
    let jobs = 0;
    await this.#drain(isOpen, (n) => {
      const ids = (s.jobs.all(before, keep, n) as { id: string }[]).map((r) => r.id);
      onJobsDeleted(ids);
      jobs += ids.length;
      return ids.length;
    });
    await this.#drain(isOpen, (n) => {
      const ids = JSON.stringify(
        (s.deliveries.all(before, n) as { id: string }[]).map((r) => r.id),
      );
      s.deleteAttempts.run(ids);
      return s.deleteDeliveries.run(ids).changes;
    });
    await this.#vacuum(isOpen);
    return jobs;
  }

  /** Runs `step` (one batch of at most `n` rows) in transactions until a batch comes up short. */
  async #drain(isOpen: () => boolean, step: (n: number) => number): Promise<void> {
    const batch = this.#db.transaction((n: number) => step(n));
    while (isOpen()) {
      const n = this.#batch.size;
      const started = performance.now();
      const done = withRelaxedSync(this.#db, () => batch.immediate(n));
      this.#batch.took(n, performance.now() - started);
      if (done < n) return;
      await yieldToEventLoop();
      await this.settle();
    }
  }

  async #vacuum(isOpen: () => boolean): Promise<void> {
    const pragma = (name: string) => this.#db.pragma(name, { simple: true }) as number;
    if (!isOpen() || pragma('auto_vacuum') !== 2) return;
    const step = new AdaptiveBatch(
      VACUUM_MIN_STEP_PAGES,
      VACUUM_MAX_STEP_PAGES,
      VACUUM_TARGET_MS,
      8,
    );
    while (isOpen()) {
      const free = pragma('freelist_count');
      if (free < VACUUM_MIN_FREE_PAGES || free < pragma('page_count') / 10) return;
      const pages = step.size;
      const started = performance.now();
      withRelaxedSync(this.#db, () => this.#db.pragma(`incremental_vacuum(${pages})`));
      step.took(pages, performance.now() - started);
      await yieldToEventLoop();
      // Each step rewrites pages into the log: let it be copied, as between deletions.
      await this.settle();
    }
  }
}
