/**
 * The memory store's jobs and everything that finds them: the records by id, each tenant's ordered
 * indexes (`memory-index.ts`), unfinished jobs by finish instant (for the jobs past it whose
 * terminal event is unwritten) and ended jobs by end (for retention and eviction). Stale heap
 * entries (a job that moved on or is gone) are skipped and dropped when they surface.
 */
import { ShardedMap } from '../collections/sharded-map.js';
import { TERMINAL_STEP, type JobRecord } from '../sim/job-model.js';
import { MinHeap } from '../wait/min-heap.js';
import { TenantIndexes, type Group } from './memory-index.js';
import { compareNewestFirst, isBefore } from './status-filter.js';
import type { ListQuery } from './types.js';

/** A record in a heap, by an instant (its finish for unfinished jobs, its end for ended ones). */
class Timed {
  constructor(
    readonly at: number,
    readonly record: JobRecord,
  ) {}
}

/** Beyond this many unfinished jobs past their finish instant, list them in the tenant's order. */
const SMALL_BACKLOG = 500;
/**
 * Stale entries dropped from the unfinished heap per call. A change leaves at most one behind, so
 * a few per change drain any backlog, and a call of hundreds of changes stays short.
 */
const PRUNE_BATCH = 8;

export const groupOf = (r: JobRecord): Group =>
  r.canceledAt !== null ? 'canceled' : r.emittedStep >= TERMINAL_STEP ? r.outcome : 'unfinished';

const endOf = (r: JobRecord) => r.canceledAt ?? r.finishAt;

export class MemoryJobs {
  readonly #byId = new ShardedMap<JobRecord>();
  readonly #tenants = new Map<string, TenantIndexes>();
  readonly #unfinished = new MinHeap<Timed>();
  readonly #ended = new MinHeap<Timed>();
  readonly #isStored = (r: JobRecord) => this.#byId.get(r.id) === r;
  readonly #stillUnfinished = (t: Timed) =>
    this.#isStored(t.record) && groupOf(t.record) === 'unfinished';

  get size(): number {
    return this.#byId.size;
  }

  get(id: string): JobRecord | undefined {
    return this.#byId.get(id);
  }

  /**
   * Every unfinished job, tenant by tenant, each tenant's oldest first — about the order they
   * finish in, so a catch-up writing their terminal events appends to the ended indexes instead
   * of inserting into their middle.
   */
  *unfinishedOldestFirst(): Generator<JobRecord> {
    for (const indexes of this.#tenants.values()) yield* indexes.groups.unfinished.oldestFirst();
  }

  #indexes(tenant: string): TenantIndexes {
    let indexes = this.#tenants.get(tenant);
    if (!indexes) this.#tenants.set(tenant, (indexes = new TenantIndexes()));
    return indexes;
  }

  /** Stores a record the store owns (and changes only through `change`). */
  add(rec: JobRecord): void {
    this.#byId.set(rec.id, rec);
    const indexes = this.#indexes(rec.tenant);
    indexes.all.add(rec);
    this.#enter(rec, indexes);
  }

  #enter(rec: JobRecord, indexes: TenantIndexes): void {
    const group = groupOf(rec);
    indexes.groups[group].add(rec);
    if (group === 'unfinished') this.#unfinished.push(new Timed(rec.finishAt, rec));
    else this.#ended.push(new Timed(endOf(rec), rec));
  }

  /** Applies `update` to a stored record, moving it to its new status group if it changed. */
  change(rec: JobRecord, update: (r: JobRecord) => void): void {
    const before = groupOf(rec);
    update(rec);
    if (groupOf(rec) === before) return;
    const indexes = this.#indexes(rec.tenant);
    indexes.groups[before].remove(rec);
    this.#enter(rec, indexes);
    this.#pruneUnfinished();
  }

  delete(rec: JobRecord): void {
    const indexes = this.#indexes(rec.tenant);
    this.#byId.delete(rec.id);
    indexes.all.remove(rec);
    indexes.groups[groupOf(rec)].remove(rec);
  }

  /**
   * The job that ended first, if before `before`, skipping `keep`: taken off the ended heap for
   * the caller to delete.
   */
  nextEnded(before: number, keep: ReadonlySet<string>): JobRecord | undefined {
    const kept: Timed[] = [];
    try {
      for (let top = this.#ended.peek(); top && top.at < before; top = this.#ended.peek()) {
        this.#ended.pop();
        const rec = top.record;
        if (!this.#isStored(rec) || groupOf(rec) === 'unfinished') continue;
        if (keep.has(rec.id)) kept.push(top);
        else return rec;
      }
      return undefined;
    } finally {
      for (const t of kept) this.#ended.push(t);
    }
  }

  list(q: ListQuery): JobRecord[] {
    const indexes = this.#tenants.get(q.tenant);
    if (!indexes || q.limit <= 0) return [];
    const take = (records: Iterable<JobRecord>, keep: (r: JobRecord) => boolean = () => true) => {
      const out: JobRecord[] = [];
      for (const r of records) if (keep(r) && out.push(r) >= q.limit) break;
      return out;
    };
    switch (q.status) {
      case undefined:
        return take(indexes.all.newestFirst(q.before));
      case 'canceled':
        return take(indexes.groups.canceled.newestFirst(q.before));
      case 'pending':
        return take(indexes.groups.unfinished.newestFirst(q.before), (r) => r.finishAt > q.now);
      case 'completed':
      case 'error': {
        const ended = take(indexes.groups[q.status].newestFirst(q.before));
        const overdue = this.#overdue(q, q.status, indexes);
        return overdue.length
          ? [...ended, ...overdue].sort(compareNewestFirst).slice(0, q.limit)
          : ended;
      }
    }
  }

  /** Unfinished jobs of the query's tenant past their finish instant, with this outcome. */
  #overdue(q: ListQuery, outcome: 'completed' | 'error', indexes: TenantIndexes): JobRecord[] {
    this.#pruneUnfinished();
    const matches = (r: JobRecord) =>
      r.tenant === q.tenant &&
      r.outcome === outcome &&
      r.finishAt <= q.now &&
      isBefore(r, q.before);
    const found: JobRecord[] = [];
    let seen = 0;
    this.#unfinished.visitUpTo(q.now, (t) => {
      if (this.#stillUnfinished(t) && matches(t.record)) found.push(t.record);
      return ++seen <= SMALL_BACKLOG;
    });
    if (seen <= SMALL_BACKLOG) return found.sort(compareNewestFirst).slice(0, q.limit);
    // Catching up: most unfinished jobs are overdue, so the tenant's order finds them fast.
    const out: JobRecord[] = [];
    for (const r of indexes.groups.unfinished.newestFirst(q.before))
      if (matches(r) && out.push(r) >= q.limit) break;
    return out;
  }

  /**
   * Drops heap entries of jobs no longer unfinished from the top (where they gather), at most
   * `PRUNE_BATCH` per call: when the job at the top ends last, the entries of a million jobs that
   * ended before it wait there, and dropping them all at once held the event loop for most of a
   * second (so did 1,000 per change in a step write of 500 changes). The rest go with the next
   * calls; a reader steps over the ones still there.
   */
  #pruneUnfinished(): void {
    for (
      let top = this.#unfinished.peek(), n = 0;
      top && !this.#stillUnfinished(top) && n < PRUNE_BATCH;
      top = this.#unfinished.peek(), n++
    )
      this.#unfinished.pop();
  }
}
