/**
 * The memory store's event log: what each event was, in writing order, without the job — a read
 * rebuilds it from the job's record and the event's instant (`eventData`). It is kept in chunks of
 * a few thousand events, column by column: a plain array of millions copies itself whole when it
 * grows (half a second at seven million events), and an object per event (with its three
 * instants boxed) made tens of millions of objects for every full collection to walk. The
 * retention cut is exact: while events were written in time order (the usual case) it drops a
 * leading run found by binary search, whole chunks at a time; otherwise reads skip what is older
 * and a sweep drops it. Events of deleted jobs are swept once they make up half the log. A sweep
 * goes on a little with each of the store's writes (`sweepSome`): it decides on about half a
 * millisecond's worth of events (at most two chunks), however many events the write appends, so
 * it never holds the event loop for long. (Swept a couple of chunks per appended event, one
 * 500-step write could carry a whole sweep of a 1M-job log: 35–70 ms at a time in a profile. And
 * two whole chunks per write took 5 ms at a time with a million jobs in the heap, each event's
 * job looked up in a map far larger than the processor's caches.)
 */
import { AdaptiveBatch } from '../adaptive-batch.js';
import { eventData } from '../sim/job-events.js';
import type { JobRecord } from '../sim/job-model.js';
import { EVENT_TYPES, type EventType, type NewEvent, type StoredEvent } from './types.js';

/** Events a new chunk has room for. */
const CHUNK = 4096;
const COMPACT_MIN_DEAD = 1024;

const TYPE_CODES = new Map<EventType, number>(EVENT_TYPES.map((t, i) => [t, i]));

/** Events `0 … length-1` of a chunk, one array per field. */
class Chunk {
  length = 0;
  readonly seq: Float64Array;
  readonly idMs: Float64Array;
  readonly at: Float64Array;
  readonly type: Uint8Array;
  /** The job's own strings (shared, not copied). */
  readonly jobId: string[] = [];
  readonly tenant: string[] = [];

  constructor(capacity: number) {
    this.seq = new Float64Array(capacity);
    this.idMs = new Float64Array(capacity);
    this.at = new Float64Array(capacity);
    this.type = new Uint8Array(capacity);
  }

  get full(): boolean {
    return this.length === this.seq.length;
  }

  get lastSeq(): number {
    return this.seq[this.length - 1]!;
  }

  get lastAt(): number {
    return this.at[this.length - 1]!;
  }

  push(seq: number, idMs: number, at: number, type: number, jobId: string, tenant: string): void {
    const i = this.length++;
    this.seq[i] = seq;
    this.idMs[i] = idMs;
    this.at[i] = at;
    this.type[i] = type;
    this.jobId[i] = jobId;
    this.tenant[i] = tenant;
  }

  /** The events from `from` on and those `keep` allows, in a chunk just their size. */
  copy(from: number, keep: (chunk: Chunk, i: number) => boolean = () => true): Chunk {
    const kept = new Uint8Array(this.length);
    let n = 0;
    for (let i = from; i < this.length; i++) {
      if (!keep(this, i)) continue;
      kept[i] = 1;
      n++;
    }
    const out = new Chunk(n);
    for (let i = from; i < this.length; i++)
      if (kept[i])
        out.push(
          this.seq[i]!,
          this.idMs[i]!,
          this.at[i]!,
          this.type[i]!,
          this.jobId[i]!,
          this.tenant[i]!,
        );
    return out;
  }

  /** The first index whose event passes `isPast` (false, then true along the chunk). */
  firstIndex(isPast: (i: number) => boolean): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (isPast(mid)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

export class MemoryEventLog {
  /** In writing order (so by `seq`); no chunk is empty. */
  #chunks: Chunk[] = [];
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
  /**
   * A running sweep: the chunk it goes on from, what it has kept so far in time order, and which
   * of that chunk's events (up to `next`) it has decided to keep.
   */
  #sweep:
    | {
        at: number;
        maxAt: number;
        unordered: number;
        chunk: Chunk | undefined;
        keep: Uint8Array | undefined;
        next: number;
      }
    | undefined;
  /** Events a sweep decides on with each write: about half a millisecond's worth. */
  readonly #sweepBatch = new AdaptiveBatch(512, 2 * CHUNK, 0.5, 1024);

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
    let last = this.#chunks[this.#chunks.length - 1];
    if (!last || last.full) this.#chunks.push((last = new Chunk(CHUNK)));
    last.push(this.#seq, this.#idMs, event.at, TYPE_CODES.get(event.type)!, job.id, job.tenant);
    this.#length++;
    return { ...event, id: `${this.#idMs}-${this.#seq}` };
  }

  /** Up to `limit` events of `tenant` after sequence number `afterSeq`, oldest first. */
  read(tenant: string, afterSeq: number, limit: number): StoredEvent[] {
    const chunks = this.#chunks;
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (chunks[mid]!.lastSeq <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    const out: StoredEvent[] = [];
    const firstChunk = chunks[lo];
    let first = firstChunk ? firstChunk.firstIndex((i) => firstChunk.seq[i]! > afterSeq) : 0;
    for (let c = lo; c < chunks.length && out.length < limit; c++, first = 0) {
      const chunk = chunks[c]!;
      for (let i = first; i < chunk.length && out.length < limit; i++) {
        const at = chunk.at[i]!;
        if (chunk.tenant[i] !== tenant || at < this.#cutoff) continue;
        const job = this.jobOf(chunk.jobId[i]!);
        if (!job) continue;
        const type = EVENT_TYPES[chunk.type[i]!]!;
        out.push({
          id: `${chunk.idMs[i]}-${chunk.seq[i]}`,
          tenant,
          jobId: job.id,
          type,
          at,
          data: eventData(job, type, at),
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
      if (chunks[mid]!.lastAt < before) lo = mid + 1;
      else hi = mid;
    }
    for (let c = 0; c < lo; c++) this.#length -= chunks[c]!.length;
    if (lo > 0) chunks.splice(0, lo);
    if (this.#sweep) this.#sweep.at = Math.max(0, this.#sweep.at - lo);
    const first = chunks[0];
    if (!first) return;
    const cut = first.firstIndex((i) => first.at[i]! >= before);
    if (cut > 0) {
      chunks[0] = first.copy(cut);
      this.#length -= cut;
    }
  }

  /** A job with `written` events is gone: its events are swept out with others' later. */
  jobGone(written: number): void {
    this.#dead += written;
    if (this.#dead >= COMPACT_MIN_DEAD && this.#dead * 2 > this.#length) this.#startSweep();
  }

  #startSweep(): void {
    this.#sweep ??= {
      at: 0,
      maxAt: -Infinity,
      unordered: 0,
      chunk: undefined,
      keep: undefined,
      next: 0,
    };
    this.#dead = 0;
  }

  /**
   * Drops deleted jobs' and expired events from the next few events of a running sweep: the store
   * calls it once per write. A chunk is replaced by the events it keeps once all are decided.
   */
  sweepSome(): void {
    const sweep = this.#sweep;
    if (!sweep) return;
    const chunks = this.#chunks;
    const cutoff = this.#cutoff;
    const started = performance.now();
    const budget = this.#sweepBatch.size;
    let decided = 0;
    while (decided < budget && sweep.at < chunks.length) {
      const chunk = chunks[sweep.at]!;
      // A chunk new to the sweep (or replaced by a cut meanwhile) is decided from its start; one
      // that grew since (the last) goes on where the sweep left it.
      if (sweep.chunk !== chunk || !sweep.keep) {
        sweep.chunk = chunk;
        sweep.keep = new Uint8Array(chunk.seq.length);
        sweep.next = 0;
      }
      const keep = sweep.keep;
      const end = Math.min(chunk.length, sweep.next + budget - decided);
      for (let i = sweep.next; i < end; i++)
        if (chunk.at[i]! >= cutoff && this.jobOf(chunk.jobId[i]!) !== undefined) keep[i] = 1;
      decided += end - sweep.next;
      sweep.next = end;
      if (end < chunk.length) break;
      // A chunk kept is just the size of what it holds: appends after it start a new one.
      const kept = chunk.copy(0, (_, i) => keep[i] === 1);
      sweep.chunk = undefined;
      sweep.keep = undefined;
      for (let i = 0; i < kept.length; i++) {
        if (kept.at[i]! < sweep.maxAt) sweep.unordered++;
        else sweep.maxAt = kept.at[i]!;
      }
      this.#length -= chunk.length - kept.length;
      if (kept.length > 0) chunks[sweep.at++] = kept;
      else chunks.splice(sweep.at, 1);
    }
    this.#sweepBatch.took(decided, performance.now() - started);
    if (sweep.at < chunks.length) return;
    // The sweep has seen every event left, in order (the last chunk is swept in the same call
    // that ends it, so nothing was appended behind it): a cut in time order may apply again.
    this.#sweep = undefined;
    this.#maxAt = sweep.maxAt;
    this.#unordered = sweep.unordered;
  }
}
