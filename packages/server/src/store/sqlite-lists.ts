/**
 * `GET /v1/jobs` in SQLite: each status filter walks an index that holds only the jobs it can
 * match, newest first from the keyset position, so a page costs about its own rows whatever the
 * filter and however deep the cursor.
 *
 * A job's status is a function of its record and the clock, and a job whose finish instant has
 * passed is completed (or failed) before its terminal event is written. So:
 *
 * - no filter: the tenant's index; `canceled`: the canceled jobs' index;
 * - `pending`: unfinished jobs (terminal event unwritten; a terminal event is never written before
 *   the finish instant) still before their finish instant;
 * - `completed` / `error`: jobs whose terminal event is written, with that outcome — merged with
 *   the unfinished ones already past their finish instant (the scheduler's backlog, normally a
 *   handful; read by finish instant while it is small, by the tenant's order while catching up).
 */
import type Database from 'better-sqlite3';
import { TERMINAL_STEP, type JobRecord } from '../sim/job-model.js';
import { compareNewestFirst } from './status-filter.js';
import { fromRow, type JobRow } from './sqlite-rows.js';
import type { ListQuery } from './types.js';

/** Beyond this many unfinished jobs past their finish instant, read them in the tenant's order. */
const SMALL_BACKLOG = 500;

/** After a cursor: a range the index can seek to, then the tie-break on the id. */
const KEYSET = 'created_at <= @beforeAt AND (created_at < @beforeAt OR id < @beforeId)';
const NEWEST_FIRST = 'ORDER BY created_at DESC, id DESC LIMIT @limit';

/** A query from the first page and from a cursor (a keyset in an OR would defeat the seek). */
interface Paged {
  first: Database.Statement;
  after: Database.Statement;
}

export class SqliteLists {
  readonly #stmts;

  constructor(db: Database.Database) {
    const paged = (sql: (keyset: string) => string): Paged => ({
      first: db.prepare(sql('1')),
      after: db.prepare(sql(KEYSET)),
    });
    const page = (index: string, where: string) =>
      paged(
        (keyset) => `SELECT * FROM jobs INDEXED BY ${index}
          WHERE tenant = @tenant AND ${where} AND ${keyset} ${NEWEST_FIRST}`,
      );
    const unfinished = `emitted_step < ${TERMINAL_STEP}`;
    const overdue = `${unfinished} AND canceled_at IS NULL AND finish_at <= @now AND outcome = @outcome`;
    this.#stmts = {
      any: page('jobs_by_tenant', '1'),
      canceled: page('jobs_canceled', 'canceled_at IS NOT NULL'),
      pending: page(
        'jobs_unfinished_by_tenant',
        `${unfinished} AND canceled_at IS NULL AND finish_at > @now`,
      ),
      ended: page(
        'jobs_ended_by_outcome',
        `outcome = @outcome AND emitted_step >= ${TERMINAL_STEP} AND canceled_at IS NULL
          AND finish_at <= @now`,
      ),
      overdueByTenant: page('jobs_unfinished_by_tenant', overdue),
      overdueByFinish: paged(
        (keyset) => `SELECT * FROM jobs INDEXED BY jobs_unfinished_by_finish
          WHERE ${unfinished} AND finish_at <= @now AND canceled_at IS NULL AND tenant = @tenant
            AND outcome = @outcome AND ${keyset} ${NEWEST_FIRST}`,
      ),
      overdueCount: db.prepare(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM jobs
        INDEXED BY jobs_unfinished_by_finish WHERE ${unfinished} AND finish_at <= @now
        LIMIT ${SMALL_BACKLOG})`),
    };
  }

  list(q: ListQuery): JobRecord[] {
    const params = {
      tenant: q.tenant,
      now: q.now,
      limit: q.limit,
      beforeAt: q.before?.createdAt ?? 0,
      beforeId: q.before?.id ?? '',
      outcome: q.status ?? '',
    };
    const rows = (query: Paged) =>
      ((q.before ? query.after : query.first).all(params) as JobRow[]).map(fromRow);
    switch (q.status) {
      case undefined:
        return rows(this.#stmts.any);
      case 'canceled':
        return rows(this.#stmts.canceled);
      case 'pending':
        return rows(this.#stmts.pending);
      case 'completed':
      case 'error': {
        const { n } = this.#stmts.overdueCount.get(params) as { n: number };
        const overdue = rows(
          n < SMALL_BACKLOG ? this.#stmts.overdueByFinish : this.#stmts.overdueByTenant,
        );
        const ended = rows(this.#stmts.ended);
        if (overdue.length === 0) return ended;
        return [...ended, ...overdue].sort(compareNewestFirst).slice(0, q.limit);
      }
    }
  }
}
