/**
 * Webhook deliveries and signing secrets in Redis. Deliveries are queued by the event-writing
 * scripts (`redis-scripts.ts`); here they are claimed with a lease, so across instances exactly
 * one sends each attempt, and moved on by compare-and-set on their attempt count.
 *
 * - `delivery:<id>` hash: `d` the delivery as JSON, `state`, `attempts`, `nextAttemptAt`,
 *   `leaseUntil`, `createdAt`; `delivery-attempts:<id>` list of attempts as JSON;
 * - `deliveries:due` sorted set, score = when the delivery may next be claimed (its next attempt,
 *   or the end of its lease while leased); `deliveries:all` by createdAt (for purging);
 *   `job-deliveries:<job id>` by createdAt (for listing);
 * - `secrets:<len>:<tenant>` hash: `current`, `previous`, `previousExpiresAt`.
 */
import type { Redis } from 'ioredis';
import { JOB_LUA_LIB, LuaScript } from './redis-scripts.js';
import type {
  DeliveryAttempt,
  DeliveryState,
  DeliveryWithAttempts,
  NewDelivery,
  WebhookDelivery,
  WebhookSecretSet,
} from './types.js';

/** KEYS: due set   ARGV: now, lease ms, limit, key prefix → per claimed: {json, attempts, next, lease} */
const CLAIM_LUA = `
local ids = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, ARGV[3])
local out = {}
local lease = tonumber(ARGV[1]) + tonumber(ARGV[2])
for _, id in ipairs(ids) do
  local k = ARGV[4] .. 'delivery:' .. id
  local f = redis.call('HMGET', k, 'state', 'd', 'attempts', 'nextAttemptAt')
  if f[1] == 'pending' then
    redis.call('HSET', k, 'leaseUntil', lease)
    redis.call('ZADD', KEYS[1], lease, id)
    out[#out + 1] = {f[2], f[3], f[4]}
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
`;

/**
 * KEYS: delivery, its attempts, due set
 * ARGV: attempt number, attempt JSON, state, next attempt ('' none), delivery id → 1 applied, 0 not
 */
const RECORD_ATTEMPT_LUA = `
local f = redis.call('HMGET', KEYS[1], 'state', 'attempts')
if f[1] ~= 'pending' or tonumber(f[2]) ~= tonumber(ARGV[1]) - 1 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[1], 'attempts', ARGV[1], 'state', ARGV[3], 'nextAttemptAt', ARGV[4],
  'leaseUntil', '')
if ARGV[3] == 'pending' and ARGV[4] ~= '' then
  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[5])
else
  redis.call('ZREM', KEYS[3], ARGV[5])
end
return 1
`;

/**
 * Deletes the deliveries created before the cutoff that are no longer pending, a batch at a time,
 * oldest first from a position.
 * KEYS: all set, due set   ARGV: before, after score ('' from the start), after id, batch, prefix
 * → {'done'} | {'more', last score, last id}
 */
const PURGE_DELIVERIES_LUA = `${JOB_LUA_LIB}
local p = ARGV[5]
local entries, from = after_cursor(KEYS[1], ARGV[2], ARGV[3])
local batch = tonumber(ARGV[4])
if #entries < batch then
  local r = redis.call('ZRANGE', KEYS[1], from, '(' .. ARGV[1], 'BYSCORE', 'LIMIT', 0,
    batch - #entries, 'WITHSCORES')
  for i = 1, #r, 2 do entries[#entries + 1] = {r[i + 1], r[i]} end
end
for _, e in ipairs(entries) do
  local id = e[2]
  local dk = p .. 'delivery:' .. id
  local f = redis.call('HMGET', dk, 'state', 'd')
  if not f[1] then
    redis.call('ZREM', KEYS[1], id)
  elseif f[1] ~= 'pending' then
    redis.call('DEL', dk, p .. 'delivery-attempts:' .. id)
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZREM', KEYS[2], id)
    redis.call('ZREM', p .. 'job-deliveries:' .. cjson.decode(f[2]).jobId, id)
  end
end
local last = entries[#entries]
if not last then return {'done'} end
return {'more', last[1], last[2]}
`;

/** KEYS: secrets   ARGV: secret → {current, previous, previousExpiresAt} */
const INIT_SECRET_LUA = `
redis.call('HSETNX', KEYS[1], 'current', ARGV[1])
return redis.call('HMGET', KEYS[1], 'current', 'previous', 'previousExpiresAt')
`;

/** KEYS: secrets   ARGV: secret, previous expiry → {current, previous, previousExpiresAt} */
const ROTATE_SECRET_LUA = `
local old = redis.call('HGET', KEYS[1], 'current')
if old then
  redis.call('HSET', KEYS[1], 'current', ARGV[1], 'previous', old, 'previousExpiresAt', ARGV[2])
else
  redis.call('HSET', KEYS[1], 'current', ARGV[1], 'previous', '', 'previousExpiresAt', '')
end
return redis.call('HMGET', KEYS[1], 'current', 'previous', 'previousExpiresAt')
`;

const PURGE_BATCH = 200;

type Guard = <T>(fn: () => Promise<T>) => Promise<T>;

const orNull = (value: string | null | undefined): number | null =>
  value === null || value === undefined || value === '' ? null : Number(value);

function secretSet(reply: (string | null)[]): WebhookSecretSet | null {
  const [current, previous, expires] = reply;
  if (!current) return null;
  return { current, previous: previous || null, previousExpiresAt: orNull(expires) };
}

export class RedisWebhooks {
  readonly #scripts = {
    claim: new LuaScript(CLAIM_LUA),
    record: new LuaScript(RECORD_ATTEMPT_LUA),
    purge: new LuaScript(PURGE_DELIVERIES_LUA),
    initSecret: new LuaScript(INIT_SECRET_LUA),
    rotateSecret: new LuaScript(ROTATE_SECRET_LUA),
  };

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly guard: Guard,
  ) {}

  #secretsKey(tenant: string): string {
    return `${this.prefix}secrets:${tenant.length}:${tenant}`;
  }

  async claimDueDeliveries(
    now: number,
    leaseMs: number,
    limit: number,
  ): Promise<WebhookDelivery[]> {
    const rows = (await this.guard(() =>
      this.#scripts.claim.run(
        this.redis,
        [`${this.prefix}deliveries:due`],
        [now, leaseMs, limit, this.prefix],
      ),
    )) as [string, string, string][];
    return rows.map(([json, attempts, next]) => ({
      ...(JSON.parse(json) as NewDelivery),
      state: 'pending' as const,
      attempts: Number(attempts),
      nextAttemptAt: orNull(next),
      leaseUntil: now + leaseMs,
    }));
  }

  async recordAttempt(attempt: DeliveryAttempt, state: DeliveryState): Promise<boolean> {
    const id = attempt.deliveryId;
    const applied = await this.guard(() =>
      this.#scripts.record.run(
        this.redis,
        [
          `${this.prefix}delivery:${id}`,
          `${this.prefix}delivery-attempts:${id}`,
          `${this.prefix}deliveries:due`,
        ],
        [
          attempt.attempt,
          JSON.stringify(attempt),
          state,
          attempt.nextAttemptAt === null ? '' : attempt.nextAttemptAt,
          id,
        ],
      ),
    );
    return applied === 1;
  }

  async listDeliveries(jobId: string): Promise<DeliveryWithAttempts[]> {
    const ids = await this.guard(() =>
      this.redis.zrange(`${this.prefix}job-deliveries:${jobId}`, 0, -1),
    );
    if (ids.length === 0) return [];
    const replies = await this.guard(async () => {
      const pipeline = this.redis.pipeline();
      for (const id of ids) {
        pipeline.hgetall(`${this.prefix}delivery:${id}`);
        pipeline.lrange(`${this.prefix}delivery-attempts:${id}`, 0, -1);
      }
      return (await pipeline.exec()) ?? [];
    });
    const out: DeliveryWithAttempts[] = [];
    for (let i = 0; i < ids.length; i++) {
      const fields = replies[2 * i]?.[1] as Record<string, string> | undefined;
      const attempts = (replies[2 * i + 1]?.[1] ?? []) as string[];
      if (!fields?.d) continue;
      out.push({
        ...(JSON.parse(fields.d) as NewDelivery),
        state: fields.state as DeliveryState,
        attempts: Number(fields.attempts),
        nextAttemptAt: orNull(fields.nextAttemptAt),
        leaseUntil: orNull(fields.leaseUntil),
        history: attempts.map((a) => JSON.parse(a) as DeliveryAttempt),
      });
    }
    return out;
  }

  async getWebhookSecrets(tenant: string): Promise<WebhookSecretSet | null> {
    return secretSet(
      await this.guard(() =>
        this.redis.hmget(this.#secretsKey(tenant), 'current', 'previous', 'previousExpiresAt'),
      ),
    );
  }

  async initWebhookSecret(tenant: string, secret: string): Promise<WebhookSecretSet> {
    const reply = (await this.guard(() =>
      this.#scripts.initSecret.run(this.redis, [this.#secretsKey(tenant)], [secret]),
    )) as (string | null)[];
    return secretSet(reply) ?? { current: secret, previous: null, previousExpiresAt: null };
  }

  async rotateWebhookSecret(
    tenant: string,
    secret: string,
    now: number,
    graceMs: number,
  ): Promise<WebhookSecretSet> {
    const reply = (await this.guard(() =>
      this.#scripts.rotateSecret.run(
        this.redis,
        [this.#secretsKey(tenant)],
        [secret, now + graceMs],
      ),
    )) as (string | null)[];
    return secretSet(reply) ?? { current: secret, previous: null, previousExpiresAt: null };
  }

  /** Deletes deliveries created before `before` that are no longer pending, a batch a step. */
  async purge(before: number): Promise<void> {
    const keys = [`${this.prefix}deliveries:all`, `${this.prefix}deliveries:due`];
    let score = '';
    let id = '';
    for (;;) {
      const reply = (await this.guard(() =>
        this.#scripts.purge.run(this.redis, keys, [before, score, id, PURGE_BATCH, this.prefix]),
      )) as [string, string?, string?];
      if (reply[0] !== 'more') return;
      score = reply[1] ?? '';
      id = reply[2] ?? '';
    }
  }
}
