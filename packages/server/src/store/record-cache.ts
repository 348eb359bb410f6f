/**
 * Job records by id for a store that is the only writer of its data (SQLite, one process): every
 * write goes through the store, which updates the cache after its transaction commits, so a cached
 * record is always the stored one and a hot read never reaches the database. Bounded; the entries
 * written or loaded longest ago leave first. Records are frozen: callers copy to change them.
 *
 * The records are kept in many small maps (a bounded `ShardedMap`), not one: a `Map` whose entries
 * come and go rehashes all of them at once every few tens of thousands of writes, and during a
 * catch-up after a restart, which passes every finished job through the cache, one such rehash
 * of 20,000 records held the event loop for 7–13 ms (mostly the kernel handing it fresh pages).
 * So the oldest leave first shard by shard, which is roughly, not exactly, oldest first overall.
 */
import { ShardedMap } from '../collections/sharded-map.js';
import { copyRecord, type JobRecord } from '../sim/job-model.js';

/** Enough for every job a busy instance is being asked about at once; ~0.35 KB each. */
export const DEFAULT_RECORD_CACHE_SIZE = 20_000;

export class RecordCache {
  readonly #records: ShardedMap<Readonly<JobRecord>>;

  constructor(capacity = DEFAULT_RECORD_CACHE_SIZE) {
    this.#records = new ShardedMap(capacity);
  }

  get size(): number {
    return this.#records.size;
  }

  get(id: string): JobRecord | undefined {
    return this.#records.get(id);
  }

  /** Stores a frozen copy of `record` (the caller keeps its own object) and returns the copy. */
  set(record: JobRecord): JobRecord {
    const frozen = frozenCopy(record);
    // Set anew, not in place: a record written now is the newest, the last to leave.
    this.#records.delete(record.id);
    this.#records.set(record.id, frozen);
    return frozen;
  }

  /** Changes a cached record, if cached (an uncached one is read fresh when next asked for). */
  update(id: string, change: Partial<JobRecord>): void {
    const cached = this.#records.get(id);
    if (cached) this.set({ ...cached, ...change });
  }

  delete(id: string): void {
    this.#records.delete(id);
  }

  clear(): void {
    this.#records.clear();
  }
}

/**
 * A frozen copy built field by field in one order, so every cached record shares one hidden class
 * (a spread copy, frozen, takes about twice the memory).
 */
function frozenCopy(r: JobRecord): JobRecord {
  const record = copyRecord(r);
  if (record.callbackEvents) Object.freeze(record.callbackEvents);
  return Object.freeze(record);
}
