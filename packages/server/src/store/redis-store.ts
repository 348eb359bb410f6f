/**
 * The shared store for several instances (`VT_STORE=redis://host:port`). Layout, under one prefix:
 *
 * - `job:<id>` hash: `r` the record as JSON at creation, plus the two fields that change
 *   (`canceledAt`, `emittedStep`) and `finishAt`, so Lua scripts never re-encode JSON;
 * - `jobs:<tenant>` sorted set (score createdAt) — the listing index, newest first;
 * - `unfinished` set — jobs whose terminal event is unwritten (the scheduler's work list);
 * - `events:<tenant>` stream — the event log; ids `<ms>-<seq>` are the SSE event ids;
 * - `idem:<len>:<tenant>:<key>` string with a TTL of the retention — idempotency keys;
 * - channel `notices` — every write's event, published in the same script as the write.
 *
 * It fails fast: no offline queue and a command timeout, so while Redis is away every call rejects
 * within about two seconds with `StoreUnavailableError` (503 `store_unavailable`), never hangs.
 */
import { Redis } from 'ioredis';
import { TERMINAL_STEP, type JobRecord } from '../sim/job-model.js';
import { webhookDeliveryFor } from '../webhooks/delivery-policy.js';
import type { RateLimiter } from '../rate-limit/types.js';
import {
  describeRedisUrl,
  failFastOptions,
  isUnavailable,
  quit,
  waitReady,
  watchConnection,
  withTimeout,
} from './redis-connection.js';
import { RedisNotices, type RedisStoreLog } from './redis-notices.js';
import { ReadBatcher } from './redis-read-batch.js';
import { RedisRateLimiter } from './redis-rate-limiter.js';
import {
  CANCEL_JOB_LUA,
  CREATE_JOB_LUA,
  EMIT_STEPS_LUA,
  LuaScript,
  PURGE_JOB_LUA,
} from './redis-scripts.js';
import { RedisWebhooks } from './redis-webhooks.js';
import { isBefore, matchesStatus } from './status-filter.js';
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
  type WebhookDelivery,
  type WebhookSecretSet,
} from './types.js';

export type { RedisStoreLog } from './redis-notices.js';

export interface RedisStoreOptions {
  /** How long idempotency keys are kept (their TTL). @default 24 h */
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
/** Streams are trimmed by age in `purgeExpired`; this caps one tenant's stream in between. */
const STREAM_MAX_LEN = 1_000_000;
const READ_CHUNK = 500;
const EMIT_CHUNK = 500;
const LIST_SCAN_MIN = 100;
const SILENT_LOG: RedisStoreLog = { info: () => {}, warn: () => {}, error: () => {} };

function recordFrom(fields: Record<string, string>): JobRecord | null {
  if (fields.r === undefined) return null;
  const record = JSON.parse(fields.r) as JobRecord;
  record.canceledAt = fields.canceledAt ? Number(fields.canceledAt) : null;
  record.emittedStep = Number(fields.emittedStep ?? record.emittedStep);
  return record;
}

const eventJson = (event: NewEvent): string =>
  JSON.stringify({
    tenant: event.tenant,
    jobId: event.jobId,
    type: event.type,
    at: event.at,
    data: event.data,
  });

/** The delivery id and JSON a step's event queues ('' and '' when it queues none). */
function deliveryArgs(record: JobRecord, event: NewEvent, step: number): [string, string] {
  const delivery = webhookDeliveryFor(record, event, step);
  return delivery ? [delivery.id, JSON.stringify(delivery)] : ['', ''];
}

export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  readonly #redis: Redis;
  readonly #sub: Redis;
  readonly #notices: RedisNotices;
  readonly #webhooks: RedisWebhooks;
  readonly #prefix: string;
  readonly #retentionMs: number;
  readonly #log: RedisStoreLog;
  readonly #where: string;
  readonly #scripts = {
    create: new LuaScript(CREATE_JOB_LUA),
    cancel: new LuaScript(CANCEL_JOB_LUA),
    emit: new LuaScript(EMIT_STEPS_LUA),
    purge: new LuaScript(PURGE_JOB_LUA),
  };
  #closed = false;
  readonly #reads = new ReadBatcher<JobRecord | null>((ids) => this.#readJobs(ids));

  private constructor(url: string, options: RedisStoreOptions) {
    this.#prefix = options.keyPrefix ?? 'vt:';
    this.#retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.#log = options.log ?? SILENT_LOG;
    this.#where = describeRedisUrl(url);
    this.#redis = new Redis(url, failFastOptions(options.commandTimeoutMs));
    this.#sub = this.#redis.duplicate();
    const isClosed = () => this.#closed;
    watchConnection(this.#redis, 'commands', this.#where, this.#log, isClosed);
    watchConnection(this.#sub, 'notices', this.#where, this.#log, isClosed);
    this.#webhooks = new RedisWebhooks(this.#redis, this.#prefix, (fn) => this.#guard(fn));
    this.#notices = new RedisNotices(
      this.#sub,
      `${this.#prefix}notices`,
      {
        tenants: () => this.#guard(() => this.#redis.smembers(this.#key('tenants'))),
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
    return store;
  }

  #key(...parts: string[]): string {
    return this.#prefix + parts.join(':');
  }

  #jobKey(id: string): string {
    return this.#key('job', id);
  }

  #streamKey(tenant: string): string {
    return this.#key('events', tenant);
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

  async createJob(
    record: JobRecord,
    created: NewEvent,
    idem?: IdempotencyInput,
  ): Promise<CreateResult> {
    const keys = [
      this.#jobKey(record.id),
      this.#key('jobs', record.tenant),
      this.#key('unfinished'),
      this.#key('tenants'),
      this.#streamKey(record.tenant),
    ];
    if (idem) keys.push(this.#key('idem', String(record.tenant.length), record.tenant, idem.key));
    const reply = (await this.#guard(() =>
      this.#scripts.create.run(this.#redis, keys, [
        record.id,
        record.tenant,
        record.createdAt,
        JSON.stringify(record),
        record.finishAt,
        record.emittedStep,
        eventJson(created),
        this.#key('notices'),
        STREAM_MAX_LEN,
        idem ? `${idem.fingerprint}\n${JSON.stringify(created.data)}` : '',
        this.#retentionMs,
      ]),
    )) as [string, string];
    if (reply[0] === 'idem') {
      const newline = reply[1].indexOf('\n');
      return reply[1].slice(0, newline) === idem?.fingerprint
        ? {
            kind: 'replayed',
            response: JSON.parse(reply[1].slice(newline + 1)) as StoredEvent['data'],
          }
        : { kind: 'conflict' };
    }
    return { kind: 'created', record: { ...record }, event: { ...created, id: reply[1] } };
  }

  /** Reads of one job asked for in the same tick share one round trip (see `ReadBatcher`). */
  getJob(id: string): Promise<JobRecord | null> {
    // Each caller gets its own copy: records are plain objects callers may change.
    return this.#reads.get(id).then((r) => (r ? { ...r } : null));
  }

  async #readJobs(ids: string[]): Promise<(JobRecord | null | Error)[]> {
    const replies = await this.#guard(async () => {
      const pipeline = this.#redis.pipeline();
      for (const id of ids) pipeline.hgetall(this.#jobKey(id));
      return (await pipeline.exec()) ?? [];
    });
    return ids.map((_, i) => {
      const [err, fields] = replies[i] ?? [new Error('no reply'), null];
      return err
        ? new StoreUnavailableError(`The Redis store failed a read: ${err.message}`)
        : recordFrom(fields as Record<string, string>);
    });
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

  async listJobs(q: ListQuery): Promise<JobRecord[]> {
    const index = this.#key('jobs', q.tenant);
    const max = q.before ? String(q.before.createdAt) : '+inf';
    const chunk = Math.max(LIST_SCAN_MIN, q.limit * 2);
    const out: JobRecord[] = [];
    // Members with equal scores come in reverse id order, matching the (createdAt, id) keyset.
    for (let offset = 0; out.length < q.limit; offset += chunk) {
      const ids = await this.#guard(() =>
        this.#redis.zrange(index, max, '-inf', 'BYSCORE', 'REV', 'LIMIT', offset, chunk),
      );
      const records = await this.getJobs(ids);
      for (const rec of records) {
        if (out.length < q.limit && isBefore(rec, q.before) && matchesStatus(rec, q.status, q.now))
          out.push(rec);
      }
      if (ids.length < chunk) break;
    }
    return out;
  }

  async cancelJob(
    id: string,
    now: number,
    makeEvent: (canceled: JobRecord) => NewEvent,
  ): Promise<CancelResult> {
    // The script adds the time from here to when it runs (see CANCEL_JOB_LUA).
    const askedAtWallMs = Date.now();
    const record = await this.getJob(id);
    if (!record) return { kind: 'missing' };
    if (record.canceledAt !== null) return { kind: 'already-canceled', record };
    if (now >= record.finishAt) return { kind: 'finished', record };
    const canceled = { ...record, canceledAt: now, emittedStep: TERMINAL_STEP };
    const event = makeEvent(canceled);
    const reply = (await this.#guard(() =>
      this.#scripts.cancel.run(
        this.#redis,
        [this.#jobKey(id), this.#key('unfinished'), this.#streamKey(record.tenant)],
        [
          id,
          now,
          eventJson(event),
          this.#key('notices'),
          STREAM_MAX_LEN,
          TERMINAL_STEP,
          this.#prefix,
          ...deliveryArgs(canceled, event, TERMINAL_STEP),
          askedAtWallMs,
        ],
      ),
    )) as [string, string?];
    switch (reply[0]) {
      case 'canceled':
        return { kind: 'canceled', record: canceled, event: { ...event, id: reply[1] ?? '' } };
      case 'already-canceled':
        return {
          kind: 'already-canceled',
          record: { ...record, canceledAt: Number(reply[1]), emittedStep: TERMINAL_STEP },
        };
      case 'finished':
        return { kind: 'finished', record };
      default:
        return { kind: 'missing' };
    }
  }

  async emitSteps(emissions: readonly StepEmission[]): Promise<StoredEvent[]> {
    const written: StoredEvent[] = [];
    for (let i = 0; i < emissions.length; i += EMIT_CHUNK) {
      const chunk = emissions.slice(i, i + EMIT_CHUNK);
      // Whether a step queues a webhook depends on the job's callback settings, which never change.
      const records = new Map((await this.getJobs(chunk.map((e) => e.id))).map((r) => [r.id, r]));
      const keys = [this.#key('unfinished')];
      const args: (string | number)[] = [
        this.#key('notices'),
        STREAM_MAX_LEN,
        TERMINAL_STEP,
        this.#prefix,
      ];
      for (const e of chunk) {
        const record = records.get(e.id);
        keys.push(this.#jobKey(e.id), this.#streamKey(e.event.tenant));
        args.push(e.id, e.step, eventJson(e.event), e.event.at);
        args.push(...(record ? deliveryArgs(record, e.event, e.step) : ['', '']));
      }
      const ids = (await this.#guard(() =>
        this.#scripts.emit.run(this.#redis, keys, args),
      )) as string[];
      chunk.forEach((e, j) => {
        const id = ids[j];
        if (id) written.push({ ...e.event, id });
      });
    }
    return written;
  }

  async readEvents(
    tenant: string,
    afterId: string | undefined,
    limit: number,
  ): Promise<StoredEvent[]> {
    const after = afterId !== undefined && parseEventId(afterId) ? afterId : undefined;
    const entries = await this.#guard(() =>
      this.#redis.xrange(
        this.#streamKey(tenant),
        after === undefined ? '-' : `(${after}`,
        '+',
        'COUNT',
        limit,
      ),
    );
    const out: StoredEvent[] = [];
    for (const [id, fields] of entries) {
      const json = fields[1];
      if (json !== undefined) out.push({ id, ...(JSON.parse(json) as NewEvent) });
    }
    return out;
  }

  async unfinishedJobs(): Promise<JobRecord[]> {
    const ids = await this.#guard(() => this.#redis.smembers(this.#key('unfinished')));
    return (await this.getJobs(ids)).filter((r) => r.emittedStep < TERMINAL_STEP);
  }

  async purgeExpired(before: number, keepIds: readonly string[]): Promise<number> {
    const keep = new Set(keepIds);
    let deleted = 0;
    const tenants = await this.#guard(() => this.#redis.smembers(this.#key('tenants')));
    for (const tenant of tenants) {
      const index = this.#key('jobs', tenant);
      // A job ends no earlier than it starts: only jobs created before the cutoff can be expired.
      for (let offset = 0; ;) {
        const ids = await this.#guard(() =>
          this.#redis.zrange(index, '-inf', `(${before}`, 'BYSCORE', 'LIMIT', offset, READ_CHUNK),
        );
        for (const id of ids) {
          const removed =
            !keep.has(id) &&
            (await this.#guard(() =>
              this.#scripts.purge.run(
                this.#redis,
                [this.#jobKey(id), index],
                [id, before, TERMINAL_STEP],
              ),
            )) === 1;
          if (removed) deleted++;
          else offset++;
        }
        if (ids.length < READ_CHUNK) break;
      }
      await this.#guard(() =>
        this.#redis.xtrim(this.#streamKey(tenant), 'MINID', '~', `${Math.max(0, before)}-0`),
      );
    }
    await this.#webhooks.purge(before);
    return deleted;
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
    return new RedisRateLimiter(this.#redis, this.#prefix, (fn) => this.#guard(fn));
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
