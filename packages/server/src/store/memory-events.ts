/**
 * The memory store's event log: one small fixed-shape entry per event, in writing order, without
 * the job — a read rebuilds it from the job's record and the event's instant (`eventData`). The
 * retention cut is exact: while events were written in time order (the usual case) it drops a
 * leading run found by binary search, otherwise it filters. Events of deleted jobs are swept out
 * once they make up half the log.
 */
import { eventData } from '../sim/job-events.js';
import type { JobRecord } from '../sim/job-model.js';
import type { EventType, NewEvent, StoredEvent } from './types.js';

class LoggedEvent {
  constructor(
    readonly seq: number,
    readonly idMs: number,
    readonly at: number,
    readonly tenant: string,
    readonly jobId: string,
    readonly type: EventType,
  ) {}
}

const COMPACT_MIN_DEAD = 1024;

export class MemoryEventLog {
  #events: LoggedEvent[] = [];
  #seq = 0;
  #idMs = 0;
  /** The latest instant written so far, and how many events came in earlier than it. */
  #maxAt = -Infinity;
  #unordered = 0;
  /** About how many events belong to deleted jobs (a job wrote at most one per step). */
  #dead = 0;

  constructor(private readonly jobOf: (id: string) => JobRecord | undefined) {}

  get size(): number {
    return this.#events.length;
  }

  /** Appends an event of `job` (whose id and tenant strings it shares); returns its id. */
  append(event: NewEvent, job: JobRecord): StoredEvent {
    this.#seq += 1;
    // The id's millisecond part never goes back, even if the clock does.
    this.#idMs = Math.max(this.#idMs, Date.now());
    if (event.at < this.#maxAt) this.#unordered++;
    else this.#maxAt = event.at;
    this.#events.push(
      new LoggedEvent(this.#seq, this.#idMs, event.at, job.tenant, job.id, event.type),
    );
    return { ...event, id: `${this.#idMs}-${this.#seq}` };
  }

  /** Up to `limit` events of `tenant` after sequence number `afterSeq`, oldest first. */
  read(tenant: string, afterSeq: number, limit: number): StoredEvent[] {
    const events = this.#events;
    let lo = 0;
    let hi = events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (events[mid]!.seq <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    const out: StoredEvent[] = [];
    for (let i = lo; i < events.length && out.length < limit; i++) {
      const e = events[i]!;
      if (e.tenant !== tenant) continue;
      const job = this.jobOf(e.jobId);
      if (!job) continue;
      out.push({
        id: `${e.idMs}-${e.seq}`,
        tenant: e.tenant,
        jobId: e.jobId,
        type: e.type,
        at: e.at,
        data: eventData(job, e.type, e.at),
      });
    }
    return out;
  }

  /** Drops every event older than `before`. */
  purge(before: number): void {
    const events = this.#events;
    if (this.#unordered === 0) {
      let lo = 0;
      let hi = events.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (events[mid]!.at < before) lo = mid + 1;
        else hi = mid;
      }
      // A copy of what stays: splicing millions off the front would copy them out too.
      if (lo > 0) this.#events = events.slice(lo);
      return;
    }
    this.#rebuild((e) => e.at >= before);
  }

  /** A job with `written` events is gone: its events are swept out with others' later. */
  jobGone(written: number): void {
    this.#dead += written;
    if (this.#dead >= COMPACT_MIN_DEAD && this.#dead * 2 > this.#events.length)
      this.#rebuild((e) => this.jobOf(e.jobId) !== undefined);
  }

  #rebuild(keep: (e: LoggedEvent) => boolean): void {
    this.#events = this.#events.filter(keep);
    this.#dead = 0;
    this.#unordered = 0;
    this.#maxAt = -Infinity;
    for (const e of this.#events) {
      if (e.at < this.#maxAt) this.#unordered++;
      else this.#maxAt = e.at;
    }
  }
}
