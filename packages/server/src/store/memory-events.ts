/**
 * The memory store's event log: one small fixed-shape entry per event, in writing order, without
 * the job — a read rebuilds it from the job's record and the event's instant (`eventData`). The
 * entries are kept in chunks of a few thousand: a plain array of millions copies itself whole
 * when it grows (half a second at seven million events), a chunk never holds more than its own.
 * The retention cut is exact: while events were written in time order (the usual case) it drops a
 * leading run found by binary search, whole chunks at a time; otherwise reads skip what is older
 * and a sweep drops it. Events of deleted jobs are swept once they make up half the log. A sweep
 * goes through a few chunks with each write, so it never holds the event loop for long.
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

/** Entries per chunk. */
const CHUNK = 4096;
/** Chunks a running sweep goes through with each write (about half a millisecond's work). */
const SWEEP_CHUNKS = 2;
const COMPACT_MIN_DEAD = 1024;

export class MemoryEventLog {
  /** In writing order (so by `seq`); no chunk is empty. */
  #chunks: LoggedEvent[][] = [];
  #length = 0;
  #seq = 0;
  #idMs = 0;
  /** The latest instant written so far, and how many events came in earlier than it. */
  #maxAt = -Infinity;
  #unordered = 0;
  /** About how many events belong to deleted jobs (a job wrote at most one per step). */
  #dead = 0;
  /** Events before this instant are past retention: never read, dropped by the next sweep. */
  #cutoff = -Infinity;
  /** A running sweep: the chunk it goes on from, and what it has kept so far in time order. */
  #sweep: { at: number; maxAt: number; unordered: number } | undefined;

  constructor(private readonly jobOf: (id: string) => JobRecord | undefined) {}

  get size(): number {
    return this.#length;
  }

  /** Appends an event of `job` (whose id and tenant strings it shares); returns its id. */
  append(event: NewEvent, job: JobRecord): StoredEvent {
    this.#seq += 1;
    // The id's millisecond part never goes back, even if the clock does.
    this.#idMs = Math.max(this.#idMs, Date.now());
    if (event.at < this.#maxAt) this.#unordered++;
    else this.#maxAt = event.at;
    const entry = new LoggedEvent(this.#seq, this.#idMs, event.at, job.tenant, job.id, event.type);
    const last = this.#chunks[this.#chunks.length - 1];
    if (last && last.length < CHUNK) last.push(entry);
    else this.#chunks.push([entry]);
    this.#length++;
    this.#sweepSome();
    return { ...event, id: `${this.#idMs}-${this.#seq}` };
  }

  /** Up to `limit` events of `tenant` after sequence number `afterSeq`, oldest first. */
  read(tenant: string, afterSeq: number, limit: number): StoredEvent[] {
    const chunks = this.#chunks;
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (chunks[mid]!.at(-1)!.seq <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    const out: StoredEvent[] = [];
    let first = chunks[lo] ? firstIndex(chunks[lo]!, (e) => e.seq > afterSeq) : 0;
    for (let c = lo; c < chunks.length && out.length < limit; c++, first = 0) {
      const chunk = chunks[c]!;
      for (let i = first; i < chunk.length && out.length < limit; i++) {
        const e = chunk[i]!;
        if (e.tenant !== tenant || e.at < this.#cutoff) continue;
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
    }
    return out;
  }

  /** Drops every event older than `before`. */
  purge(before: number): void {
    this.#cutoff = Math.max(this.#cutoff, before);
    if (this.#unordered > 0) return this.#startSweep();
    // In time order: the events to drop are a leading run, whole chunks and part of one.
    const chunks = this.#chunks;
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (chunks[mid]!.at(-1)!.at < before) lo = mid + 1;
      else hi = mid;
    }
    for (let c = 0; c < lo; c++) this.#length -= chunks[c]!.length;
    if (lo > 0) chunks.splice(0, lo);
    if (this.#sweep) this.#sweep.at = Math.max(0, this.#sweep.at - lo);
    const first = chunks[0];
    if (!first) return;
    const cut = firstIndex(first, (e) => e.at >= before);
    if (cut > 0) {
      chunks[0] = first.slice(cut);
      this.#length -= cut;
    }
  }

  /** A job with `written` events is gone: its events are swept out with others' later. */
  jobGone(written: number): void {
    this.#dead += written;
    if (this.#dead >= COMPACT_MIN_DEAD && this.#dead * 2 > this.#length) this.#startSweep();
    this.#sweepSome();
  }

  #startSweep(): void {
    this.#sweep ??= { at: 0, maxAt: -Infinity, unordered: 0 };
    this.#dead = 0;
  }

  /** Drops deleted jobs' and expired events from the next few chunks of a running sweep. */
  #sweepSome(): void {
    const sweep = this.#sweep;
    if (!sweep) return;
    const chunks = this.#chunks;
    const cutoff = this.#cutoff;
    for (let n = 0; n < SWEEP_CHUNKS && sweep.at < chunks.length; n++) {
      const chunk = chunks[sweep.at]!;
      const kept: LoggedEvent[] = [];
      for (const e of chunk) {
        if (e.at < cutoff || this.jobOf(e.jobId) === undefined) continue;
        kept.push(e);
        if (e.at < sweep.maxAt) sweep.unordered++;
        else sweep.maxAt = e.at;
      }
      this.#length -= chunk.length - kept.length;
      if (kept.length > 0) chunks[sweep.at++] = kept;
      else chunks.splice(sweep.at, 1);
    }
    if (sweep.at < chunks.length) return;
    // The sweep has seen every event left, in order (the last chunk is swept in the same call
    // that ends it, so nothing was appended behind it): a cut in time order may apply again.
    this.#sweep = undefined;
    this.#maxAt = sweep.maxAt;
    this.#unordered = sweep.unordered;
  }
}

/** The first index in `chunk` whose entry passes `isPast` (false, then true along the chunk). */
function firstIndex(chunk: readonly LoggedEvent[], isPast: (e: LoggedEvent) => boolean): number {
  let lo = 0;
  let hi = chunk.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (isPast(chunk[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
