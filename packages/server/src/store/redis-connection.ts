/**
 * The Redis store's connections: fail-fast options (no offline queue, a command timeout, capped
 * reconnect backoff), start-up, logging of outages and recoveries, and telling "Redis is away"
 * apart from "this command is wrong".
 */
import type { Redis, RedisOptions } from 'ioredis';
import { LAYOUT_VERSION, type RedisKeys } from './redis-layout.js';
import type { RedisStoreLog } from './redis-notices.js';

const DEFAULT_COMMAND_TIMEOUT_MS = 2_000;
const MAX_RECONNECT_DELAY_MS = 2_000;
const RECONNECT_STEP_MS = 100;

/** Redis replies that mean "not available right now" rather than "your command is wrong". */
const UNAVAILABLE_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN)/;

/** Whether an error means Redis cannot be reached or cannot serve now (a 503, not a 500). */
export const isUnavailable = (err: unknown): boolean =>
  !(err instanceof Error) || err.name !== 'ReplyError' || UNAVAILABLE_REPLY.test(err.message);

/** Redacts the password of a Redis URL for messages. */
export function describeRedisUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}

/**
 * Options under which every call answers or fails within about `commandTimeoutMs`: commands are
 * never queued while disconnected, and reconnects back off to at most two seconds.
 */
export function failFastOptions(commandTimeoutMs = DEFAULT_COMMAND_TIMEOUT_MS): RedisOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    commandTimeout: commandTimeoutMs,
    maxRetriesPerRequest: 1,
    connectTimeout: commandTimeoutMs,
    retryStrategy: (attempt) => Math.min(attempt * RECONNECT_STEP_MS, MAX_RECONNECT_DELAY_MS),
  };
}

/** Logs a lost connection once, and its recovery. */
export function watchConnection(
  client: Redis,
  role: string,
  where: string,
  log: RedisStoreLog,
  isClosed: () => boolean,
): void {
  let down = false;
  client.on('error', (err: Error) => {
    if (down || isClosed()) return;
    down = true;
    log.error({ err, redis: where, role }, 'Redis connection lost; reconnecting');
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    log.info({ redis: where, role }, 'Redis connection restored');
  });
}

export async function quit(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // fall through: drop the connection
    }
  }
  client.disconnect();
}

export function waitReady(client: Redis): Promise<void> {
  return new Promise((resolve, reject) => {
    client.once('ready', () => resolve());
    client.connect().catch((err: unknown) => {
      // With a retry strategy ioredis keeps trying after a failed first connect; the timeout
      // around this decides when to give up.
      if (client.status === 'end') reject(err instanceof Error ? err : new Error(String(err)));
    });
  });
}

export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Claims an empty prefix for the store's layout; refuses data written in another. */
export async function checkLayout(redis: Redis, keys: RedisKeys, where: string): Promise<void> {
  let layout = await redis.get(keys.layout);
  if (layout === null) {
    // Data without a layout mark is from before the mark existed.
    if ((await redis.exists(keys.tenants)) === 0) {
      await redis.set(keys.layout, LAYOUT_VERSION, 'NX');
      layout = await redis.get(keys.layout);
    }
  }
  if (layout !== LAYOUT_VERSION) {
    throw new Error(
      `Redis at ${where} holds vtrans data in an older layout under the prefix ` +
        `${JSON.stringify(keys.prefix)}; this version cannot read it: delete those keys ` +
        `(see docs/deployment.md) or use an empty Redis`,
    );
  }
}
