/**
 * The three store backends for the store contract suite: each test opens a fresh, empty store
 * (memory; SQLite in a scratch file; Redis under a key prefix of its own on one real redis-server
 * per test file) and it is closed when the test ends. `traits` name the few places where a backend
 * keeps its promise another way, so the suite asserts what a caller can rely on everywhere.
 */
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { MemoryStore } from '../../src/store/memory-store.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Store, UnfinishedJob } from '../../src/store/types.js';
import { needs, startRedis, tempDir, type RedisServer } from '@vtrans/test-support';

const hasRedis = needs('redis', 'the store contract on Redis');

export interface StoreTraits {
  /**
   * Idempotency keys expire by themselves after the retention (a Redis TTL on real time) rather
   * than being deleted by `purgeExpired`.
   */
  idempotencyKeysExpireByTtl: boolean;
  /** `purgeExpired` deletes every event older than the cutoff (Redis trims whole stream nodes). */
  trimsEventsExactly: boolean;
  /** Notices reach subscribers after the write resolves (through Redis pub/sub), not during it. */
  noticesAsync: boolean;
}

export interface StoreBackend {
  name: 'memory' | 'sqlite' | 'redis';
  /** False when the backend cannot run here (no redis-server): its tests are skipped. */
  available: boolean;
  traits: StoreTraits;
  /** A fresh, empty store, closed after the test. */
  open: () => Promise<Store>;
}

const opened: Store[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

let redis: Promise<RedisServer> | undefined;
let prefixes = 0;

function track<S extends Store>(store: S): S {
  opened.push(store);
  return store;
}

export const STORE_BACKENDS: StoreBackend[] = [
  {
    name: 'memory',
    available: true,
    traits: { idempotencyKeysExpireByTtl: false, trimsEventsExactly: true, noticesAsync: false },
    open: async () => track(new MemoryStore()),
  },
  {
    name: 'sqlite',
    available: true,
    traits: { idempotencyKeysExpireByTtl: false, trimsEventsExactly: true, noticesAsync: false },
    open: async () => track(new SqliteStore(join(tempDir('vt-contract-'), 'vtrans.db'))),
  },
  {
    name: 'redis',
    available: hasRedis,
    traits: { idempotencyKeysExpireByTtl: true, trimsEventsExactly: false, noticesAsync: true },
    open: async () => {
      redis ??= startRedis();
      const server = await redis;
      prefixes++;
      return track(
        await RedisStore.connect(server.url, {
          keyPrefix: `contract${prefixes}:`,
          retentionMs: 3_600_000,
        }),
      );
    },
  },
];

/** Every unfinished job, read page by page (about `limit` at a time), without duplicates. */
export async function allUnfinished(store: Store, limit = 1000): Promise<UnfinishedJob[]> {
  const byId = new Map<string, UnfinishedJob>();
  let cursor: string | undefined;
  do {
    const page = await store.unfinishedJobs(cursor, limit);
    for (const record of page.records) byId.set(record.id, record);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return [...byId.values()];
}
