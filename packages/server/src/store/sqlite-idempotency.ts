/**
 * Idempotency keys in SQLite. A key stores its job's id, not a copy of the job: a replay answers
 * with the job as created, rebuilt from its record (keys written before schema 3 carry the JSON).
 */
import type Database from 'better-sqlite3';
import { eventData } from '../sim/job-events.js';
import type { JobRecord } from '../sim/job-model.js';
import { fromRow, idempotencyValues, INSERT_SQL, type JobRow } from './sqlite-rows.js';
import type { CreateResult, IdempotencyInput, StoredEvent } from './types.js';

export class SqliteIdempotencyKeys {
  readonly #stmts;

  constructor(db: Database.Database) {
    this.#stmts = {
      get: db.prepare(`SELECT i.fingerprint AS i_fingerprint, i.response AS i_response, j.*
        FROM idempotency_keys i LEFT JOIN jobs j ON j.id = i.job_id
        WHERE i.tenant = ? AND i.key = ?`),
      drop: db.prepare('DELETE FROM idempotency_keys WHERE tenant = ? AND key = ?'),
      insert: db.prepare(INSERT_SQL.idempotencyKey),
    };
  }

  /** What a key answers, if it is known (call inside the creating transaction). */
  replay(tenant: string, idem: IdempotencyInput): CreateResult | undefined {
    const row = this.#stmts.get.get(tenant, idem.key) as
      (Partial<JobRow> & { i_fingerprint: string; i_response: string }) | undefined;
    if (!row) return undefined;
    if (row.i_fingerprint !== idem.fingerprint) return { kind: 'conflict' };
    if (row.i_response !== '')
      return { kind: 'replayed', response: JSON.parse(row.i_response) as StoredEvent['data'] };
    if (row.id === null || row.id === undefined) {
      // Its job is gone (retention deletes keys first, so only for a moment): a new key.
      this.#stmts.drop.run(tenant, idem.key);
      return undefined;
    }
    const job = fromRow(row as JobRow);
    return { kind: 'replayed', response: eventData(job, 'job.created', job.createdAt) };
  }

  /** Stores a key for a job being created (inside the creating transaction). */
  add(record: JobRecord, idem: IdempotencyInput): void {
    this.#stmts.insert.run(...idempotencyValues(record, idem));
  }
}
