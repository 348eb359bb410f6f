/**
 * Copies the SQLite write-ahead log back into the database file from a worker thread, on a
 * connection of its own: a checkpoint writes megabytes and syncs the file, which on a busy disk
 * takes long enough to stall the event loop if the server's connection did it while committing.
 * The worker runs a PASSIVE checkpoint (it never blocks the server's writes) every
 * `CHECKPOINT_INTERVAL_MS`. Under a long run of writes (a sweep, a catch-up) a passive checkpoint
 * never catches the log's end, and the log only starts over once one has: such writers call
 * `settle()` when the log passes `SETTLE_WAL_BYTES`, pausing (without blocking the event loop)
 * until the worker has copied it all. The server's connection keeps SQLite's own checkpoint only
 * as a fallback for a log that outgrows `FALLBACK_CHECKPOINT_PAGES` anyway.
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const CHECKPOINT_INTERVAL_MS = 250;
/** About 128 MB of 4 KB pages: the log is copied by the worker long before it gets there. */
export const FALLBACK_CHECKPOINT_PAGES = 32_768;
/**
 * Past this, long runs of writes wait for the log to be copied (`settle`). A checkpoint copies each
 * page once however many commits rewrote it, so a longer log means less copying (and less waiting
 * here) for the same writes, the more so when they come in short transactions.
 */
const SETTLE_WAL_BYTES = 64 * 1024 * 1024;
/**
 * The worker thread's nice value (Linux): when both are ready to run, the thread answering
 * requests gets the core first, and copying the log waits.
 */
const WORKER_NICE = 10;
/** Checkpoints asked for by one `settle` before it lets the writer go on anyway. */
const SETTLE_ROUNDS = 20;

/** The worker's code (CommonJS, evaluated: the same in `src` under a test runner and in `dist`). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
try {
  // This thread's own id: setpriority on it renices this thread alone.
  const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  require('node:os').setPriority(tid, workerData.nice);
} catch {
  // Not Linux, or not allowed: the worker runs at the server's priority.
}
const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
const pageSize = db.pragma('page_size', { simple: true });
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or closing: the next turn tries again.
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message === 'checkpoint') {
    // Answers the log's length (bytes) and whether all of it is now in the database file.
    let done = false;
    let logBytes = Infinity;
    try {
      const [result] = db.pragma('wal_checkpoint(PASSIVE)');
      done = result.busy === 0 && result.log === result.checkpointed;
      if (result.log >= 0) logBytes = result.log * pageSize;
    } catch {
      // Busy: not done, length unknown.
    }
    parentPort.postMessage({ done, logBytes });
    return;
  }
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export class SqliteCheckpointer {
  readonly #worker: Worker;
  readonly #exited: Promise<void>;

  readonly #walPath: string;

  constructor(path: string) {
    this.#walPath = `${path}-wal`;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, driver, intervalMs: CHECKPOINT_INTERVAL_MS, nice: WORKER_NICE },
    });
    this.#worker.unref();
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    // A worker that fails leaves checkpoints to the fallback; the server goes on.
    this.#worker.on('error', () => undefined);
  }

  /**
   * For a long run of writes, between two of them: when the log has grown past
   * `SETTLE_WAL_BYTES`, waits until the worker has copied all of it, so the next write starts it
   * over. The file's size only bounds the log from above (a log started over keeps its file, up to
   * the journal size limit), so past that size the worker is asked for the log's real length.
   * Never blocks the event loop.
   */
  async settle(): Promise<void> {
    let bytes = 0;
    try {
      bytes = statSync(this.#walPath).size;
    } catch {
      return;
    }
    if (bytes < SETTLE_WAL_BYTES) return;
    for (let round = 0; round < SETTLE_ROUNDS; round++) {
      const { done, logBytes } = await this.#checkpoint();
      // Copied, or short enough to leave to the worker's timer.
      if (done || (round === 0 && logBytes < SETTLE_WAL_BYTES)) return;
    }
  }

  #checkpoint(): Promise<{ done: boolean; logBytes: number }> {
    return new Promise((resolve) => {
      this.#worker.once('message', (m: unknown) => {
        const answer = m as { done?: unknown; logBytes?: unknown } | null;
        resolve({
          done: answer?.done === true,
          logBytes: typeof answer?.logBytes === 'number' ? answer.logBytes : Infinity,
        });
      });
      this.#worker.postMessage('checkpoint');
    });
  }

  /** Closes the worker's connection and waits for the thread to end. */
  async close(): Promise<void> {
    this.#worker.postMessage('close');
    const timer = setTimeout(() => void this.#worker.terminate(), 2000);
    await this.#exited;
    clearTimeout(timer);
  }
}
