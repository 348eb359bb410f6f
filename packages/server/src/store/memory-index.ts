/**
 * The memory store's indexes. `OrderedIndex` keeps records sorted by (createdAt, id) — new jobs
 * append, so inserting is cheap — and reads them newest first from a keyset position in
 * O(log n + page). A record that leaves an index (deleted, or now in another status group) stays
 * in place as a stale entry. Records mostly leave oldest first (retention, eviction, jobs finishing
 * in about the order they were created): stale entries at the front are stepped over as they
 * appear and dropped with one copy of the rest, never a pass that asks of each record whether it
 * still belongs; stale entries elsewhere are swept out in one such pass once they are half.
 * `TenantIndexes` is one tenant's set: every job, and each status group a list filter walks.
 */
import type { JobRecord } from '../sim/job-model.js';

/** Sorts after `b` in (createdAt, id) order. */
const after = (a: JobRecord, b: { createdAt: number; id: string }) =>
  a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id);

const COMPACT_MIN_STALE = 1024;

export class OrderedIndex {
  #items: JobRecord[] = [];
  /** Entries before this one have left (stepped over at the front). */
  #head = 0;
  /** Entries at or after `#head` that have left. */
  #stale = 0;

  /** `holds(r)`: whether `r` (a stored record) still belongs here. */
  constructor(private readonly holds: (r: JobRecord) => boolean) {}

  get size(): number {
    return this.#items.length - this.#head - this.#stale;
  }

  add(record: JobRecord): void {
    const items = this.#items;
    const last = items[items.length - 1];
    if (!last || after(record, last)) {
      items.push(record);
      return;
    }
    items.splice(this.#firstAfter(record), 0, record);
  }

  /** One of the records here no longer belongs (deleted, or moved to another group). */
  left(): void {
    this.#stale++;
    const items = this.#items;
    while (this.#stale > 0 && this.#head < items.length && !this.holds(items[this.#head]!)) {
      this.#head++;
      this.#stale--;
    }
    if (this.#head >= COMPACT_MIN_STALE && this.#head * 2 > items.length) {
      this.#items = items.slice(this.#head);
      this.#head = 0;
    } else if (this.#stale >= COMPACT_MIN_STALE && this.#stale * 2 > items.length - this.#head) {
      this.#items = items.slice(this.#head).filter(this.holds);
      this.#head = 0;
      this.#stale = 0;
    }
  }

  /** Records that belong here, oldest first (those added after the walk began may be missed). */
  *oldestFirst(): Generator<JobRecord> {
    const items = this.#items;
    for (let i = this.#head; i < items.length; i++) {
      const record = items[i]!;
      if (this.holds(record)) yield record;
    }
  }

  /** Records that belong here, newest first, strictly before `before` when given. */
  *newestFirst(before?: { createdAt: number; id: string }): Generator<JobRecord> {
    const items = this.#items;
    const head = this.#head;
    for (let i = (before ? this.#firstAfterOrAt(before) : items.length) - 1; i >= head; i--) {
      const record = items[i]!;
      if (this.holds(record)) yield record;
    }
  }

  /** The first position whose record sorts after `key`. */
  #firstAfter(key: { createdAt: number; id: string }): number {
    let lo = this.#head;
    let hi = this.#items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (after(this.#items[mid]!, key)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** The first position whose record sorts at or after `key`. */
  #firstAfterOrAt(key: { createdAt: number; id: string }): number {
    let lo = this.#head;
    let hi = this.#items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const r = this.#items[mid]!;
      if (after(r, key) || (r.createdAt === key.createdAt && r.id === key.id)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** The status groups a job moves through: unfinished, then ended (by outcome) or canceled. */
export type Group = 'unfinished' | 'completed' | 'error' | 'canceled';

export class TenantIndexes {
  readonly all: OrderedIndex;
  readonly groups: Record<Group, OrderedIndex>;

  constructor(isStored: (r: JobRecord) => boolean, groupOf: (r: JobRecord) => Group) {
    this.all = new OrderedIndex(isStored);
    const group = (g: Group) => new OrderedIndex((r) => isStored(r) && groupOf(r) === g);
    this.groups = {
      unfinished: group('unfinished'),
      completed: group('completed'),
      error: group('error'),
      canceled: group('canceled'),
    };
  }
}
