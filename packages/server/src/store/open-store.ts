/** Turns a `VT_STORE` spec into a store. */
import { resolve } from 'node:path';
import { MemoryStore } from './memory-store.js';
import { RedisStore, type RedisStoreOptions } from './redis-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './types.js';

/** `options` reach the shared (Redis) store: retention for key TTLs, a logger for reconnects. */
export async function openStore(spec: string, options: RedisStoreOptions = {}): Promise<Store> {
  if (spec === 'memory') return new MemoryStore();
  if (spec.startsWith('sqlite:')) {
    const path = spec.slice('sqlite:'.length);
    return new SqliteStore(path === ':memory:' ? path : resolve(path));
  }
  if (/^rediss?:\/\//.test(spec)) return RedisStore.connect(spec, options);
  throw new Error(
    `Unknown store ${JSON.stringify(spec)}: expected memory, sqlite:<path> or redis://host:port`,
  );
}
