/** Turns a `VT_STORE` spec into a store. */
import { resolve } from 'node:path';
import { MemoryStore } from './memory-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './types.js';

export async function openStore(spec: string): Promise<Store> {
  if (spec === 'memory') return new MemoryStore();
  if (spec.startsWith('sqlite:')) {
    const path = spec.slice('sqlite:'.length);
    return new SqliteStore(path === ':memory:' ? path : resolve(path));
  }
  if (/^rediss?:\/\//.test(spec)) {
    throw new Error(`The Redis store (${spec}) is not available in this build yet`);
  }
  throw new Error(
    `Unknown store ${JSON.stringify(spec)}: expected memory, sqlite:<path> or redis://host:port`,
  );
}
