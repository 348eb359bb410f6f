/**
 * A string-keyed map split over many small `Map`s. A `Map` grows (and shrinks) by rehashing every
 * entry in one go: at half a million entries that holds the event loop for 30–150 ms. Split 256
 * ways, a million entries rehash about 4,000 at a time. Keys are spread by a hash of their last
 * characters (job ids and idempotency keys vary most there); iteration runs shard by shard, so it
 * is in insertion order only within a shard.
 *
 * Given a capacity, it stays within it: a shard past its share drops the entry set in it longest
 * ago, so the entries set longest ago leave first (shard by shard: roughly, not exactly, overall).
 * A small capacity gets fewer shards, down to one, which is exact.
 */
const SHARDS = 256;
/** A bounded map has fewer shards than `SHARDS` rather than fewer entries than this in each. */
const MIN_PER_SHARD = 64;
/** Characters of the key hashed, from its end. */
const HASHED_CHARS = 8;

export class ShardedMap<V> {
  readonly #shards: Map<string, V>[];
  readonly #perShard: number;
  #size = 0;

  constructor(capacity = Infinity) {
    let shards = SHARDS;
    while (shards > 1 && capacity / shards < MIN_PER_SHARD) shards /= 2;
    this.#shards = Array.from({ length: shards }, () => new Map<string, V>());
    this.#perShard = Math.floor(capacity / shards);
  }

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
    // Over its share: the entry set longest ago in this shard leaves (never the one just set).
    if (shard.size > this.#perShard) shard.delete(shard.keys().next().value!);
    this.#size += shard.size - before;
    return this;
  }

  delete(key: string): boolean {
    const deleted = this.#shard(key).delete(key);
    if (deleted) this.#size--;
    return deleted;
  }

  clear(): void {
    for (const shard of this.#shards) shard.clear();
    this.#size = 0;
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
    return this.#shards[(hash ^ (hash >>> 8)) & (this.#shards.length - 1)]!;
  }
}
