/**
 * Job records by id for a store that is the only writer of its data (SQLite, one process): every
 * write goes through the store, which updates the cache after its transaction commits, so a cached
 * record is always the stored one and a hot read never reaches the database. Bounded; the entries
 * written or loaded longest ago leave first. Records are frozen: callers copy to change them.
 */
import { copyRecord, type JobRecord } from '../sim/job-model.js';

/** Enough for every job a busy instance is being asked about at once; ~0.35 KB each. */
export const DEFAULT_RECORD_CACHE_SIZE = 20_000;

export class RecordCache {
  readonly #records = new Map<string, Readonly<JobRecord>>();
  readonly #capacity: number;

  constructor(capacity = DEFAULT_RECORD_CACHE_SIZE) {
    this.#capacity = capacity;
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
    this.#records.delete(record.id);
    this.#records.set(record.id, frozen);
    if (this.#records.size > this.#capacity) {
      const oldest = this.#records.keys().next();
      if (!oldest.done) this.#records.delete(oldest.value);
    }
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
