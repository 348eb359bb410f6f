/**
 * In-process notices about jobs: the scheduler's "a step is due" and the store's "an event was
 * written". Held requests and event streams subscribe by job or by tenant; a notice only tells them
 * to look again, so a duplicate costs one read and a lost one is caught by the next.
 *
 * Listeners are called in order, a slice at a time: the first `WAKE_SLICE` at once, the rest one
 * slice per turn of the event loop. Ten thousand requests woken together would otherwise all be
 * answering at once — the event loop blocked until the last is sent, and every answer's memory
 * alive together; a slice at a time, each slice's answers are written and freed before the next.
 */
import type { StoredEvent } from '../store/types.js';

export interface JobNotice {
  jobId: string;
  tenant: string;
  /** The instant the change happened; a reader evaluates the job at no earlier time than this. */
  at: number;
  /** Present when the notice comes from the event log. */
  event?: StoredEvent;
}

type Listener = (notice: JobNotice) => void;

/** Listeners called per turn of the event loop. */
const WAKE_SLICE = 256;

function add(map: Map<string, Set<Listener>>, key: string, fn: Listener): () => void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(fn);
  return () => {
    set.delete(fn);
    if (set.size === 0 && map.get(key) === set) map.delete(key);
  };
}

/** A call waiting for its slice: the listener, the set it was in (it may leave meanwhile), the notice. */
type Call = [Listener, Set<Listener>, JobNotice];

export class Hub {
  readonly #byJob = new Map<string, Set<Listener>>();
  readonly #byTenant = new Map<string, Set<Listener>>();
  #calls: Call[] = [];
  #next = 0;
  #draining = false;

  onJob(jobId: string, fn: Listener): () => void {
    return add(this.#byJob, jobId, fn);
  }

  onTenant(tenant: string, fn: Listener): () => void {
    return add(this.#byTenant, tenant, fn);
  }

  publish(notice: JobNotice): void {
    const byJob = this.#byJob.get(notice.jobId);
    if (byJob) for (const fn of byJob) this.#calls.push([fn, byJob, notice]);
    const byTenant = notice.event ? this.#byTenant.get(notice.tenant) : undefined;
    if (byTenant) for (const fn of byTenant) this.#calls.push([fn, byTenant, notice]);
    if (!this.#draining) this.#drain();
  }

  /** Calls the next slice; schedules the one after on the next turn of the event loop. */
  #drain(): void {
    this.#draining = true;
    const end = Math.min(this.#calls.length, this.#next + WAKE_SLICE);
    try {
      while (this.#next < end) {
        const [fn, set, notice] = this.#calls[this.#next++]!;
        // A listener that unsubscribed while it waited for its slice is not called.
        if (set.has(fn)) fn(notice);
      }
    } finally {
      if (this.#next < this.#calls.length) {
        setImmediate(() => this.#drain());
      } else {
        this.#calls = [];
        this.#next = 0;
        this.#draining = false;
      }
    }
  }

  /** Job ids with at least one listener (for metrics and tests). */
  get watchedJobs(): number {
    return this.#byJob.size;
  }
}
