/**
 * A string-keyed map split over many small `Map`s. A `Map` grows (and shrinks) by rehashing every
 * entry in one go: at half a million entries that holds the event loop for 30–150 ms. Split 256
 * ways, a million entries rehash about 4,000 at a time. Keys are spread by a hash of their last
 * characters (job ids and idempotency keys vary most there); iteration runs shard by shard, so it
 * is in insertion order only within a shard.
 */
const SHARDS = 256;
/** Characters of the key hashed, from its end. */
const HASHED_CHARS = 8;

export class ShardedMap<V> {
  readonly #shards = Array.from({ length: SHARDS }, () => new Map<string, V>());
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(key: string): V | undefined {
    return this.#shard(key).get(key);
  }

  has(key: string): boolean {
    return this.#shard(key).has(key);
  }

  set(key: string, value: V): this {
    const shard = this.#shard(key);
    const before = shard.size;
    shard.set(key, value);
    this.#size += shard.size - before;
    return this;
  }

  delete(key: string): boolean {
    const deleted = this.#shard(key).delete(key);
    if (deleted) this.#size--;
    return deleted;
  }

  *values(): IterableIterator<V> {
    for (const shard of this.#shards) yield* shard.values();
  }

  /** Entries, shard by shard; deleting the entry just seen while iterating is safe. */
  *entries(): IterableIterator<[string, V]> {
    for (const shard of this.#shards) yield* shard.entries();
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }

  #shard(key: string): Map<string, V> {
    let hash = 0;
    for (let i = Math.max(0, key.length - HASHED_CHARS); i < key.length; i++)
      hash = (Math.imul(hash, 31) + key.charCodeAt(i)) | 0;
    return this.#shards[(hash ^ (hash >>> 8)) & (SHARDS - 1)]!;
  }
}
