/**
 * The memory store's indexes. `OrderedIndex` keeps records sorted by (createdAt, id) in chunks
 * (`SortedChunks`): a record enters and leaves at its place — new jobs append, a job that ends out
 * of order is filed into the middle of its group's index — touching one chunk of at most a
 * thousand entries, however many records the index holds, and reads them newest first from a
 * keyset position in O(log n + page). `TenantIndexes` is one tenant's set: every job, and each
 * status group a list filter walks.
 */
import { SortedChunks } from '../collections/sorted-chunks.js';
import type { JobRecord } from '../sim/job-model.js';

type Key = { createdAt: number; id: string };

/** (createdAt, id) order. */
const compare = (a: Key, b: Key) =>
  a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export class OrderedIndex {
  readonly #records = new SortedChunks<Key, JobRecord>(compare);

  get size(): number {
    return this.#records.size;
  }

  add(record: JobRecord): void {
    this.#records.add(record);
  }

  /** `record` no longer belongs here (deleted, or moved to another group). */
  remove(record: JobRecord): void {
    this.#records.remove(record);
  }

  /** The records, oldest first; a walk goes on correctly across changes made between its steps. */
  oldestFirst(): Generator<JobRecord> {
    return this.#records.ascending();
  }

  /** The records newest first, strictly before `before` when given. */
  newestFirst(before?: Key): Generator<JobRecord> {
    return this.#records.descending(before);
  }
}

/** The status groups a job moves through: unfinished, then ended (by outcome) or canceled. */
export type Group = 'unfinished' | 'completed' | 'error' | 'canceled';

export class TenantIndexes {
  readonly all = new OrderedIndex();
  readonly groups: Record<Group, OrderedIndex> = {
    unfinished: new OrderedIndex(),
    completed: new OrderedIndex(),
    error: new OrderedIndex(),
    canceled: new OrderedIndex(),
  };
}
