/**
 * The SQLite store's file: its tables and indexes, and opening a file in WAL mode with its schema
 * brought up to date (`user_version` counts the schema versions).
 */
import Database from 'better-sqlite3';
import { TERMINAL_STEP } from '../sim/job-model.js';

/**
 * 1: jobs, idempotency keys, events. 2: webhook deliveries, attempts and secrets. 3: indexes for
 * filtered lists, the boot-time work list and the retention sweep; events and idempotency keys
 * without a copy of the job (rebuilt from its record).
 */
export const SCHEMA_VERSION = 3;

/** The write-ahead log is truncated back to this after a checkpoint (it never stays huge). */
export const JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;
/**
 * The connection's page cache, KiB (SQLite's default is 2 MB). A write of a few hundred steps
 * touches thousands of pages across the jobs table, its indexes and the events. During a 1M-job
 * catch-up with the default cache, such writes took 20–70 ms now and then and the event loop's
 * longest gaps were 60–97 ms (three probes); with 64 MB the longest was 30 ms (one probe). The
 * cache fills only as pages are used.
 */
export const PAGE_CACHE_KIB = 64 * 1024;

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

/**
 * Migration from schema version 2 to 3. Each index names the rows it holds in a WHERE clause that
 * queries repeat word for word (SQLite uses a partial index only when the query implies it).
 * An unfinished job is one whose terminal event is unwritten (`emitted_step < 6`); a canceled job's
 * cancellation is its terminal event.
 */
const GROWTH_SCHEMA = `
DROP INDEX IF EXISTS jobs_unfinished;
CREATE INDEX IF NOT EXISTS jobs_unfinished_by_finish ON jobs (finish_at)
  WHERE emitted_step < ${TERMINAL_STEP};
CREATE INDEX IF NOT EXISTS jobs_unfinished_by_tenant ON jobs (tenant, created_at DESC, id DESC)
  WHERE emitted_step < ${TERMINAL_STEP};
CREATE INDEX IF NOT EXISTS jobs_ended_by_outcome ON jobs (tenant, outcome, created_at DESC, id DESC)
  WHERE emitted_step >= ${TERMINAL_STEP} AND canceled_at IS NULL;
CREATE INDEX IF NOT EXISTS jobs_canceled ON jobs (tenant, created_at DESC, id DESC)
  WHERE canceled_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_by_end ON jobs (COALESCE(canceled_at, finish_at))
  WHERE emitted_step >= ${TERMINAL_STEP};
CREATE INDEX IF NOT EXISTS idempotency_keys_by_time ON idempotency_keys (created_at);
ALTER TABLE idempotency_keys ADD COLUMN job_id TEXT;
CREATE INDEX IF NOT EXISTS webhook_deliveries_settled ON webhook_deliveries (created_at)
  WHERE state != 'pending';
`;

/** Opens the file in WAL mode and brings its schema up to date (closing it again on failure). */
export function openDatabase(path: string): Database.Database {
  const db = new Database(path);
  try {
    // A new file frees the pages retention empties back to the system, a few at a time (see the
    // sweep); on an older file, set before any table existed, SQLite reuses them instead.
    if (db.pragma('page_count', { simple: true }) === 0) db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
    // FULL: the WAL is synced on every commit, so an acknowledged write survives power loss.
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(
        `The database at ${path} has schema version ${version}; this server knows ${SCHEMA_VERSION}`,
      );
    }
    db.transaction(() => {
      if (version < 1) db.exec(SCHEMA);
      if (version < 2) db.exec(WEBHOOK_SCHEMA);
      // On a large file this builds the new indexes once (seconds per million jobs).
      if (version < 3) db.exec(GROWTH_SCHEMA);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Runs `write` (a transaction) with a commit that does not wait for the disk (`synchronous =
 * NORMAL` in WAL mode: never corrupt, but a power cut may lose the last commits). Only for writes
 * the server re-derives after a restart — scheduler steps, retention sweeps, delivery leases and
 * attempts — never for an acknowledged job (`synchronous = FULL` otherwise).
 */
export function withRelaxedSync<T>(db: Database.Database, write: () => T): T {
  db.pragma('synchronous = NORMAL');
  try {
    return write();
  } finally {
    db.pragma('synchronous = FULL');
  }
}
