/**
 * Copies the SQLite write-ahead log back into the database file from a worker thread, on a
 * connection of its own: a checkpoint writes megabytes and syncs the file, which on a busy disk
 * takes long enough to stall the event loop if the server's connection did it while committing.
 * The worker runs a PASSIVE checkpoint (it never blocks the server's writes) every
 * `CHECKPOINT_INTERVAL_MS`; the server's connection keeps SQLite's own checkpoint only as a
 * fallback for a log that outgrows `FALLBACK_CHECKPOINT_PAGES` while writes never pause.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const CHECKPOINT_INTERVAL_MS = 250;
/** About 64 MB of 4 KB pages: the log is copied by the worker long before it gets there. */
export const FALLBACK_CHECKPOINT_PAGES = 16_384;

/** The worker's code (CommonJS, evaluated: the same in `src` under a test runner and in `dist`). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or closing: the next turn tries again.
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export class SqliteCheckpointer {
  readonly #worker: Worker;
  readonly #exited: Promise<void>;

  constructor(path: string) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, driver, intervalMs: CHECKPOINT_INTERVAL_MS },
    });
    this.#worker.unref();
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    // A worker that fails leaves checkpoints to the fallback; the server goes on.
    this.#worker.on('error', () => undefined);
  }

  /** Closes the worker's connection and waits for the thread to end. */
  async close(): Promise<void> {
    this.#worker.postMessage('close');
    const timer = setTimeout(() => void this.#worker.terminate(), 2000);
    await this.#exited;
    clearTimeout(timer);
  }
}
