/**
 * In-process notices about jobs: the scheduler's "a step is due" and the store's "an event was
 * written". Held requests and event streams subscribe by job or by tenant; a notice only tells them
 * to look again, so a duplicate costs one read and a lost one is caught by the next.
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

function add(map: Map<string, Set<Listener>>, key: string, fn: Listener): () => void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(fn);
  return () => {
    set.delete(fn);
    if (set.size === 0 && map.get(key) === set) map.delete(key);
  };
}

export class Hub {
  readonly #byJob = new Map<string, Set<Listener>>();
  readonly #byTenant = new Map<string, Set<Listener>>();

  onJob(jobId: string, fn: Listener): () => void {
    return add(this.#byJob, jobId, fn);
  }

  onTenant(tenant: string, fn: Listener): () => void {
    return add(this.#byTenant, tenant, fn);
  }

  publish(notice: JobNotice): void {
    for (const fn of this.#byJob.get(notice.jobId) ?? []) fn(notice);
    if (notice.event) for (const fn of this.#byTenant.get(notice.tenant) ?? []) fn(notice);
  }

  /** Job ids with at least one listener (for metrics and tests). */
  get watchedJobs(): number {
    return this.#byJob.size;
  }
}
