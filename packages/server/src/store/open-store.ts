/** Turns a `VT_STORE` spec into a store. */
import { resolve } from 'node:path';
import { MemoryStore } from './memory-store.js';
import { RedisStore, type RedisStoreOptions } from './redis-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './types.js';

export interface OpenStoreOptions extends RedisStoreOptions {
  /** The memory store's job limit (`VT_MEMORY_MAX_JOBS`). */
  memoryMaxJobs?: number;
}

/**
 * `options` reach the shared (Redis) store — retention for key TTLs, a logger for reconnects —
 * and the memory store's job limit.
 */
export async function openStore(spec: string, options: OpenStoreOptions = {}): Promise<Store> {
  const { memoryMaxJobs, ...redisOptions } = options;
  if (spec === 'memory')
    return new MemoryStore(memoryMaxJobs === undefined ? {} : { maxJobs: memoryMaxJobs });
  if (spec.startsWith('sqlite:')) {
    const path = spec.slice('sqlite:'.length);
    return new SqliteStore(path === ':memory:' ? path : resolve(path));
  }
  if (/^rediss?:\/\//.test(spec)) return RedisStore.connect(spec, redisOptions);
  throw new Error(
    `Unknown store ${JSON.stringify(spec)}: expected memory, sqlite:<path> or redis://host:port`,
  );
}
