/**
 * The jobs the page knows, merged from the list, the event stream and our own requests. A job
 * only moves forward: a stale copy (an older version, or the same version with an earlier update)
 * never replaces a newer one, so the order in which the list and the stream answer does not matter.
 */
import { isTerminal, type Job } from './types.js';

export interface HistoryEntry {
  /** When the page learned of it (epoch ms). */
  seenAt: number;
  /** `job.created`, `job.updated`, …, or `loaded` for a job first seen in a list. */
  type: string;
  status: Job['status'];
  stage: Job['stage'];
  progress: number;
  updatedAt: string;
}

export interface Tracked {
  job: Job;
  history: HistoryEntry[];
}

export type JobListener = (job: Job, previous: Job | undefined, via: string) => void;

const MAX_HISTORY = 50;

/** Whether `next` is newer than `current`. */
export function isNewer(next: Job, current: Job): boolean {
  if (next.version !== current.version) return next.version > current.version;
  if (isTerminal(current.status)) return false;
  if (next.updated_at !== current.updated_at) return next.updated_at > current.updated_at;
  return next.progress > current.progress;
}

export class JobStore {
  readonly #jobs = new Map<string, Tracked>();
  readonly #listeners = new Set<JobListener>();

  get(id: string): Tracked | undefined {
    return this.#jobs.get(id);
  }

  get size(): number {
    return this.#jobs.size;
  }

  subscribe(fn: JobListener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Takes a copy of a job if it is new or newer; `via` names the source (an event type, `loaded`, …). */
  upsert(job: Job, via: string, now = Date.now()): boolean {
    const tracked = this.#jobs.get(job.id);
    const entry: HistoryEntry = {
      seenAt: now,
      type: via,
      status: job.status,
      stage: job.stage,
      progress: job.progress,
      updatedAt: job.updated_at,
    };
    if (tracked && !isNewer(job, tracked.job)) {
      // Nothing new about the job, but a stream event the history has not shown yet is still
      // worth listing, as the event said it (e.g. `job.completed` after a `job.created` that
      // already carried the outcome).
      if (via.startsWith('job.') && !tracked.history.some((e) => e.type === via)) {
        this.#remember(tracked, entry);
        for (const fn of this.#listeners) fn(tracked.job, tracked.job, via);
      }
      return false;
    }
    const previous = tracked?.job;
    if (tracked) {
      tracked.job = job;
      this.#remember(tracked, entry);
    } else {
      this.#jobs.set(job.id, { job, history: [entry] });
    }
    for (const fn of this.#listeners) fn(job, previous, via);
    return true;
  }

  #remember(tracked: Tracked, entry: HistoryEntry): void {
    tracked.history.push(entry);
    if (tracked.history.length > MAX_HISTORY) tracked.history.shift();
  }

  /** Forgets every job (another key, maybe another tenant). */
  clear(): void {
    this.#jobs.clear();
  }

  /** Forgets a job (the table dropped it to stay small). */
  forget(id: string): void {
    this.#jobs.delete(id);
  }
}
