/**
 * The Redis store's Lua scripts: each write, its event (XADD) and its notice (PUBLISH) run as one
 * atomic step on the server, so no instance ever sees a record without its event or the reverse.
 * Every key a script touches is passed in KEYS.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A Lua function the event-writing scripts share: queues a webhook delivery (unless one with this
 * id exists) in the same atomic step as its event. Delivery keys are built from the prefix.
 */
const QUEUE_DELIVERY_FN = `
local function queue_delivery(p, id, job_id, created_at, json)
  if id == '' then return end
  local dk = p .. 'delivery:' .. id
  if redis.call('EXISTS', dk) == 1 then return end
  redis.call('HSET', dk, 'd', json, 'state', 'pending', 'attempts', '0',
    'nextAttemptAt', created_at, 'leaseUntil', '', 'createdAt', created_at)
  redis.call('ZADD', p .. 'deliveries:due', created_at, id)
  redis.call('ZADD', p .. 'deliveries:all', created_at, id)
  redis.call('ZADD', p .. 'job-deliveries:' .. job_id, created_at, id)
end
`;

/**
 * KEYS: job, tenant index, unfinished set, tenant set, tenant stream[, idempotency key]
 * ARGV: id, tenant, createdAt, record JSON, finishAt, emittedStep, event JSON, channel,
 *       stream MAXLEN, idempotency value, idempotency TTL ms
 * → {'idem', stored value} | {'created', event id}; an error reply when the id exists.
 */
export const CREATE_JOB_LUA = `
if KEYS[6] then
  local existing = redis.call('GET', KEYS[6])
  if existing then return {'idem', existing} end
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.error_reply('VTJOBEXISTS a job with this id exists')
end
redis.call('HSET', KEYS[1], 'r', ARGV[4], 'tenant', ARGV[2], 'finishAt', ARGV[5],
  'canceledAt', '', 'emittedStep', ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[2])
local eid = redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[9], '*', 'e', ARGV[7])
if KEYS[6] then redis.call('SET', KEYS[6], ARGV[10], 'PX', ARGV[11]) end
redis.call('PUBLISH', ARGV[8], eid .. ' ' .. ARGV[7])
return {'created', eid}
`;

/**
 * The cancel is judged at the instant it takes effect: `now` (the instance's instant when it was
 * asked) plus the time that passed since, by Redis's clock against the instance's wall clock then.
 * Otherwise a cancel that waited for Redis past the finish instant would cancel a job every
 * instance already reports completed.
 * KEYS: job, unfinished set, tenant stream
 * ARGV: id, now, event JSON, channel, stream MAXLEN, terminal step, key prefix,
 *       delivery id ('' for none), delivery JSON, wall clock ms when `now` was taken
 * → {'missing'} | {'already-canceled', canceledAt} | {'finished'} | {'canceled', event id}
 */
export const CANCEL_JOB_LUA = `${QUEUE_DELIVERY_FN}
local f = redis.call('HMGET', KEYS[1], 'finishAt', 'canceledAt')
if not f[1] then return {'missing'} end
if f[2] and f[2] ~= '' then return {'already-canceled', f[2]} end
local t = redis.call('TIME')
local waited = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - tonumber(ARGV[10])
if tonumber(ARGV[2]) + math.max(0, waited) >= tonumber(f[1]) then return {'finished'} end
redis.call('HSET', KEYS[1], 'canceledAt', ARGV[2], 'emittedStep', ARGV[6])
redis.call('SREM', KEYS[2], ARGV[1])
local eid = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], '*', 'e', ARGV[3])
queue_delivery(ARGV[7], ARGV[8], ARGV[1], ARGV[2], ARGV[9])
redis.call('PUBLISH', ARGV[4], eid .. ' ' .. ARGV[3])
return {'canceled', eid}
`;

/**
 * Compare-and-set of each job's `emittedStep`: a step's event is written only if no step as far
 * along was written before (by this instance or another).
 * KEYS: unfinished set, then per emission: job, tenant stream
 * ARGV: channel, stream MAXLEN, terminal step, key prefix, then per emission: id, step,
 *       event JSON, event instant, delivery id ('' for none), delivery JSON
 * → per emission, the event id or '' when skipped.
 */
export const EMIT_STEPS_LUA = `${QUEUE_DELIVERY_FN}
local out = {}
local n = (#KEYS - 1) / 2
for i = 1, n do
  local jk, sk = KEYS[2 * i], KEYS[2 * i + 1]
  local a = 4 + 6 * (i - 1)
  local id, step, ev = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local cur = redis.call('HGET', jk, 'emittedStep')
  if cur and tonumber(cur) < tonumber(step) then
    redis.call('HSET', jk, 'emittedStep', step)
    if tonumber(step) >= tonumber(ARGV[3]) then redis.call('SREM', KEYS[1], id) end
    local eid = redis.call('XADD', sk, 'MAXLEN', '~', ARGV[2], '*', 'e', ev)
    queue_delivery(ARGV[4], ARGV[a + 5], id, ARGV[a + 4], ARGV[a + 6])
    redis.call('PUBLISH', ARGV[1], eid .. ' ' .. ev)
    out[i] = eid
  else
    out[i] = ''
  end
end
return out
`;

/**
 * Deletes a finished job if it is still finished before the cutoff (re-checked atomically).
 * KEYS: job, tenant index   ARGV: id, before, terminal step → 1 deleted, 0 kept
 */
export const PURGE_JOB_LUA = `
local f = redis.call('HMGET', KEYS[1], 'finishAt', 'canceledAt', 'emittedStep')
if not f[1] then redis.call('ZREM', KEYS[2], ARGV[1]) return 0 end
local ended = tonumber(f[1])
if f[2] and f[2] ~= '' then ended = tonumber(f[2]) end
if tonumber(f[3]) < tonumber(ARGV[3]) or ended >= tonumber(ARGV[2]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`;

/** A script run by its SHA, sent again in full when the server lost its script cache (a restart). */
export class LuaScript {
  readonly #source: string;
  readonly #sha: string;

  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]) {
    try {
      return await redis.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return await redis.eval(this.#source, keys.length, ...keys, ...args);
    }
  }
}
