/**
 * The shared store for several instances (`VT_STORE=redis://host:port`). Jobs, their listing
 * indexes, events and idempotency keys are laid out as `redis-layout.ts` describes, under one
 * prefix, with webhook deliveries and secrets beside them (`redis-webhooks.ts`); every write's
 * event is published on the channel `notices` in the same script as the write.
 *
 * Each tenant's event stream keeps the retention: every append trims entries older than it (by
 * Redis's clock, whole stream nodes at a time) and the retention sweep (`redis-sweep.ts`) trims to
 * the exact cutoff.
 *
 * It fails fast: no offline queue and a command timeout, so while Redis is away every call rejects
 * within about two seconds with `StoreUnavailableError` (503 `store_unavailable`), never hangs.
 */
import { Redis } from 'ioredis';
import type { JobRecord } from '../sim/job-model.js';
import type { RateLimiter } from '../rate-limit/types.js';
import {
  checkLayout,
  describeRedisUrl,
  failFastOptions,
  isUnavailable,
  quit,
  waitReady,
  watchConnection,
  withTimeout,
} from './redis-connection.js';
import { decodeEvent, decodeRecord, parseCompactEvent, RedisKeys } from './redis-layout.js';
import { RedisJobWrites } from './redis-job-writes.js';
import {
  LIST_JOBS_LUA,
  listJobsByIndex,
  UNFINISHED_PAGE_LUA,
  unfinishedPage,
} from './redis-list.js';
import { RedisNotices, type RedisStoreLog } from './redis-notices.js';
import { ReadBatcher } from './redis-read-batch.js';
import { RedisRateLimiter } from './redis-rate-limiter.js';
import { LuaScript } from './redis-scripts.js';
import { RedisSweeper } from './redis-sweep.js';
import { RedisWebhooks } from './redis-webhooks.js';
import {
  parseEventId,
  StoreUnavailableError,
  type CancelResult,
  type CreateResult,
  type DeliveryAttempt,
  type DeliveryState,
  type DeliveryWithAttempts,
  type IdempotencyInput,
  type ListQuery,
  type NewEvent,
  type StepEmission,
  type Store,
  type StoreNotice,
  type StoredEvent,
  type UnfinishedPage,
  type WebhookDelivery,
  type WebhookSecretSet,
} from './types.js';

export type { RedisStoreLog } from './redis-notices.js';

export interface RedisStoreOptions {
  /** How long jobs' events and idempotency keys are kept (streams are trimmed to it). @default 24 h */
  retentionMs?: number;
  /** Prefix of every key and channel (several deployments on one Redis). @default 'vt:' */
  keyPrefix?: string;
  /** Where reconnects and outages are reported. @default silent */
  log?: RedisStoreLog;
  /** How long to wait for Redis at start-up before giving up. @default 10 s */
  connectTimeoutMs?: number;
  /** Per-command limit: a call rejects after this instead of hanging. @default 2 s */
  commandTimeoutMs?: number;
}

const DEFAULT_RETENTION_MS = 86_400_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const READ_CHUNK = 500;
const SILENT_LOG: RedisStoreLog = { info: () => {}, warn: () => {}, error: () => {} };

export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  readonly #redis: Redis;
  readonly #sub: Redis;
  readonly #notices: RedisNotices;
  readonly #webhooks: RedisWebhooks;
  readonly #sweeper: RedisSweeper;
  readonly #keys: RedisKeys;
  readonly #retentionMs: number;
  readonly #log: RedisStoreLog;
  readonly #where: string;
  readonly #writes: RedisJobWrites;
  readonly #list = new LuaScript(LIST_JOBS_LUA);
  readonly #unfinished = new LuaScript(UNFINISHED_PAGE_LUA);
  #closed = false;
  readonly #reads = new ReadBatcher<JobRecord | null>((ids) => this.#readJobs(ids));

  private constructor(url: string, options: RedisStoreOptions) {
    this.#keys = new RedisKeys(options.keyPrefix ?? 'vt:');
    this.#retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.#log = options.log ?? SILENT_LOG;
    this.#where = describeRedisUrl(url);
    this.#redis = new Redis(url, failFastOptions(options.commandTimeoutMs));
    this.#sub = this.#redis.duplicate();
    const isClosed = () => this.#closed;
    watchConnection(this.#redis, 'commands', this.#where, this.#log, isClosed);
    watchConnection(this.#sub, 'notices', this.#where, this.#log, isClosed);
    const guard = <T>(fn: () => Promise<T>) => this.#guard(fn);
    this.#webhooks = new RedisWebhooks(this.#redis, this.#keys.prefix, guard);
    this.#sweeper = new RedisSweeper(this.#redis, this.#keys, guard, this.#webhooks);
    this.#writes = new RedisJobWrites(this.#redis, this.#keys, this.#retentionMs, guard, (ids) =>
      this.getJobs(ids),
    );
    this.#notices = new RedisNotices(
      this.#sub,
      this.#keys.notices,
      {
        tenants: () => this.#guard(() => this.#redis.smembers(this.#keys.tenants)),
        readEvents: (tenant, afterId, limit) => this.readEvents(tenant, afterId, limit),
      },
      this.#log,
    );
  }

  /** Connects both connections and subscribes; rejects with one clear line if Redis does not answer. */
  static async connect(url: string, options: RedisStoreOptions = {}): Promise<RedisStore> {
    const store = new RedisStore(url, options);
    const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    try {
      await withTimeout(
        (async () => {
          await Promise.all([waitReady(store.#redis), waitReady(store.#sub)]);
          await store.#notices.start();
        })(),
        timeoutMs,
      );
    } catch (err) {
      await store.close();
      const reason = err instanceof Error ? err.message : String(err);
      throw new Error(`Redis at ${store.#where} does not answer (${reason})`, { cause: err });
    }
    try {
      await checkLayout(store.#redis, store.#keys, store.#where);
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  /** Runs a Redis call; connection trouble becomes `StoreUnavailableError`. */
  async #guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof StoreUnavailableError || !isUnavailable(err)) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw new StoreUnavailableError(`The Redis store does not answer: ${reason}`, {
        cause: err,
      });
    }
  }

  /** Reads of one job asked for in the same tick share one round trip (see `ReadBatcher`). */
  getJob(id: string): Promise<JobRecord | null> {
    // Each caller gets its own copy: records are plain objects callers may change.
    return this.#reads
      .get(id)
      .then((r) =>
        r ? { ...r, callbackEvents: r.callbackEvents && [...r.callbackEvents] } : null,
      );
  }

  async #readJobs(ids: string[]): Promise<(JobRecord | null | Error)[]> {
    try {
      const values = await this.#guard(() => this.#redis.mget(ids.map((id) => this.#keys.job(id))));
      return ids.map((id, i) => {
        const value = values[i];
        return value === null || value === undefined ? null : decodeRecord(id, value);
      });
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      return ids.map(() => new StoreUnavailableError(`The Redis store failed a read: ${reason}`));
    }
  }

  async getJobs(ids: readonly string[]): Promise<JobRecord[]> {
    const out: JobRecord[] = [];
    for (let i = 0; i < ids.length; i += READ_CHUNK) {
      for (const record of await this.#readJobs(ids.slice(i, i + READ_CHUNK))) {
        if (record instanceof Error) throw record;
        if (record) out.push(record);
      }
    }
    return out;
  }

  createJob(record: JobRecord, created: NewEvent, idem?: IdempotencyInput): Promise<CreateResult> {
    return this.#writes.createJob(record, created, idem);
  }

  cancelJob(
    id: string,
    now: number,
    makeEvent: (canceled: JobRecord) => NewEvent,
  ): Promise<CancelResult> {
    return this.#writes.cancelJob(id, now, makeEvent);
  }

  emitSteps(emissions: readonly StepEmission[]): Promise<StoredEvent[]> {
    return this.#writes.emitSteps(emissions);
  }

  listJobs(q: ListQuery): Promise<JobRecord[]> {
    return listJobsByIndex(
      (keys, args) => this.#guard(() => this.#list.run(this.#redis, keys, args)),
      this.#keys,
      q,
    );
  }

  async readEvents(
    tenant: string,
    afterId: string | undefined,
    limit: number,
  ): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    let after = afterId !== undefined && parseEventId(afterId) ? afterId : undefined;
    // Compact events whose job retention already deleted are left out: read on to fill the page.
    while (out.length < limit) {
      const want = limit - out.length;
      const entries = await this.#guard(() =>
        this.#redis.xrange(
          this.#keys.stream(tenant),
          after === undefined ? '-' : `(${after}`,
          '+',
          'COUNT',
          want,
        ),
      );
      const jobIds = new Set<string>();
      for (const [, fields] of entries) {
        if (fields[0] === 'c' && fields[1] !== undefined)
          jobIds.add(parseCompactEvent(fields[1]).jobId);
      }
      const records = new Map((await this.getJobs([...jobIds])).map((r) => [r.id, r]));
      for (const [id, fields] of entries) {
        const event = decodeEvent(id, tenant, fields, records);
        if (event) out.push(event);
      }
      const last = entries[entries.length - 1];
      if (!last || entries.length < want) break;
      after = last[0];
    }
    return out;
  }

  unfinishedJobs(cursor: string | undefined, limit: number): Promise<UnfinishedPage> {
    return unfinishedPage(
      (keys, args) => this.#guard(() => this.#unfinished.run(this.#redis, keys, args)),
      this.#keys,
      cursor,
      limit,
    );
  }

  purgeExpired(before: number, keepIds: readonly string[]): Promise<number> {
    return this.#sweeper.sweep(before, keepIds);
  }

  claimDueDeliveries(now: number, leaseMs: number, limit: number): Promise<WebhookDelivery[]> {
    return this.#webhooks.claimDueDeliveries(now, leaseMs, limit);
  }

  recordAttempt(attempt: DeliveryAttempt, state: DeliveryState): Promise<boolean> {
    return this.#webhooks.recordAttempt(attempt, state);
  }

  listDeliveries(jobId: string): Promise<DeliveryWithAttempts[]> {
    return this.#webhooks.listDeliveries(jobId);
  }

  getWebhookSecrets(tenant: string): Promise<WebhookSecretSet | null> {
    return this.#webhooks.getWebhookSecrets(tenant);
  }

  initWebhookSecret(tenant: string, secret: string): Promise<WebhookSecretSet> {
    return this.#webhooks.initWebhookSecret(tenant, secret);
  }

  rotateWebhookSecret(
    tenant: string,
    secret: string,
    now: number,
    graceMs: number,
  ): Promise<WebhookSecretSet> {
    return this.#webhooks.rotateWebhookSecret(tenant, secret, now, graceMs);
  }

  /** Rate-limit counters shared by every instance on this Redis. */
  rateLimiter(): RateLimiter {
    return new RedisRateLimiter(this.#redis, this.#keys.prefix, (fn) => this.#guard(fn));
  }

  subscribe(listener: (notice: StoreNotice) => void): () => void {
    return this.#notices.subscribe(listener);
  }

  async ping(): Promise<void> {
    await this.#guard(() => this.#redis.ping());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#notices.close();
    await Promise.all([quit(this.#redis), quit(this.#sub)]);
  }
}
