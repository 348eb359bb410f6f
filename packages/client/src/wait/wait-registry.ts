import type { WaitTransport } from '../options.js';
import type { Job } from '../types/job.js';
import { isNews, type WaitSubscriber } from './subscriber.js';

/**
 * The waits a shared engine serves, by job id, with what was last seen of each job (its latest
 * state and `Retry-After`). An id is forgotten when its last wait leaves.
 */
export class WaitRegistry {
  private readonly byId = new Map<string, Set<WaitSubscriber>>();
  private readonly known = new Map<string, Job>();
  private readonly retryAfterMs = new Map<string, number>();
  private count = 0;

  /** Adds a wait; returns whether its job id is new here. */
  add(subscriber: WaitSubscriber): boolean {
    let set = this.byId.get(subscriber.jobId);
    const isNewId = set === undefined;
    if (set === undefined) {
      set = new Set();
      this.byId.set(subscriber.jobId, set);
    }
    set.add(subscriber);
    this.count += 1;
    return isNewId;
  }

  /** Removes a wait; returns whether it was here. */
  remove(subscriber: WaitSubscriber): boolean {
    const set = this.byId.get(subscriber.jobId);
    if (set?.delete(subscriber) !== true) return false;
    this.count -= 1;
    if (set.size === 0) {
      this.byId.delete(subscriber.jobId);
      this.known.delete(subscriber.jobId);
      this.retryAfterMs.delete(subscriber.jobId);
    }
    return true;
  }

  /** How many waits there are. */
  get size(): number {
    return this.count;
  }

  /** How many distinct jobs are waited on. */
  get idCount(): number {
    return this.byId.size;
  }

  /** The waits by job id (read-only). */
  get subscribersById(): ReadonlyMap<string, ReadonlySet<WaitSubscriber>> {
    return this.byId;
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }

  all(): WaitSubscriber[] {
    return [...this.byId.values()].flatMap((set) => [...set]);
  }

  subscribersOf(id: string): Iterable<WaitSubscriber> {
    return this.byId.get(id) ?? [];
  }

  /** The latest state seen of a job still waited on. */
  jobOf(id: string): Job | undefined {
    return this.known.get(id);
  }

  retryAfterMsOf(id: string): number | undefined {
    return this.retryAfterMs.get(id);
  }

  noteRetryAfter(id: string, delayMs: number): void {
    this.retryAfterMs.set(id, delayMs);
  }

  /** Records a state and hands it to the job's waits (not an older one); returns whether it was news. */
  dispatch(job: Job, transport: WaitTransport): boolean {
    const set = this.byId.get(job.id);
    if (set === undefined) return false;
    const previous = this.known.get(job.id);
    if (previous !== undefined && job.version < previous.version) return false;
    const hasNews = isNews(previous, job);
    this.known.set(job.id, job);
    for (const sub of [...set]) sub.deliver(job, transport);
    return hasNews;
  }

  /** Ends every wait on `id` with `error`. */
  failId(id: string, error: unknown): void {
    for (const sub of [...(this.byId.get(id) ?? [])]) sub.fail(error);
  }

  /** Ends every wait with `error`. */
  failAll(error: unknown): void {
    for (const id of this.ids()) this.failId(id, error);
  }
}
