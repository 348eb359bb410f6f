/**
 * Fills a SQLite file with a dataset the fast way: the store's own schema (`openDatabase`) and its
 * own row layout and insert statements (`sqlite-rows.ts`), in large transactions with syncing off
 * — what the server would have written one commit at a time, in a fraction of the time. Jobs go in
 * their final state; events in the order the server writes them, ids increasing.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  eventValues,
  idempotencyValues,
  INSERT_SQL,
  toRow,
} from '../../packages/server/src/store/sqlite-rows.js';
import { openDatabase } from '../../packages/server/src/store/sqlite-schema.js';
import { drawJob, eventsInOrder, type DatasetPlan } from './dataset.js';

const ROWS_PER_TRANSACTION = 50_000;

export function populateSqlite(path: string, plan: DatasetPlan): void {
  mkdirSync(dirname(path), { recursive: true });
  const db = openDatabase(path);
  try {
    db.pragma('synchronous = OFF');
    const insertJob = db.prepare(INSERT_SQL.job);
    const insertIdem = db.prepare(INSERT_SQL.idempotencyKey);
    const insertEvent = db.prepare(INSERT_SQL.event);
    const inBatches = <T>(items: Iterable<T>, write: (item: T) => void) => {
      const run = db.transaction((batch: T[]) => batch.forEach(write));
      let batch: T[] = [];
      for (const item of items) {
        batch.push(item);
        if (batch.length >= ROWS_PER_TRANSACTION) {
          run(batch);
          batch = [];
        }
      }
      run(batch);
    };
    inBatches(
      (function* () {
        for (let i = 0; i < plan.jobs; i++) yield drawJob(plan, i);
      })(),
      (job) => {
        insertJob.run(toRow(job.record));
        insertIdem.run(
          ...idempotencyValues(job.record, {
            key: job.idempotencyKey,
            fingerprint: job.fingerprint,
          }),
        );
      },
    );
    let idMs = 0;
    inBatches(eventsInOrder(plan), ({ event }) => {
      idMs = Math.max(idMs, event.at);
      insertEvent.run(...eventValues(event, idMs));
    });
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

/** The file and its write-ahead log, bytes. */
export function sqliteBytes(path: string): { file: number; wal: number } {
  const size = (p: string) => {
    try {
      return statSync(p).size;
    } catch {
      return 0;
    }
  };
  return { file: size(path), wal: size(`${path}-wal`) };
}
