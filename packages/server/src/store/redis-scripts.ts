/**
 * The Redis store's Lua scripts: each write, its event (XADD) and its notice (PUBLISH) run as one
 * atomic step on the server, so no instance ever sees a record without its event or the reverse.
 * The keys a script touches are passed in KEYS, except those named by what it reads (an idempotency
 * entry's job, webhook deliveries), which it builds from the key prefix.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Lua functions the job scripts share.
 * - `job_fields(v)`: a `job:<id>` value's step, canceled offset ('' when not canceled), createdAt,
 *   finish offset, outcome code and where its JSON part starts (see `redis-layout.ts`);
 * - `status_of(v, now)`: the job's status at `now` as a code (`p`, `x`, or the outcome code),
 *   exactly as `statusAt` computes it;
 * - `lt(a, b)`: byte order of two strings, as Redis orders sorted-set members (Lua's `<` follows
 *   the locale);
 * - `oldest_kept(retention_ms)`: the oldest stream id the retention keeps (by Redis's clock, as the
 *   stream ids are);
 * - `xadd(key, min_id, field, value)`: appends an event, trimming entries older than `min_id` a
 *   whole stream node at a time;
 * - `settled(key, finish_at, id, trim_below)`: notes a job whose terminal event was just written,
 *   forgetting those that finished before `trim_below`;
 * - `queue_delivery(...)`: queues a webhook delivery (unless one with this id exists) in the same
 *   atomic step as its event. Delivery keys are built from the prefix.
 */
export const JOB_LUA_LIB = `
local function job_fields(v)
  local step, canceled, created, duration, outcome, json_at =
    string.match(v, '^(%d+)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|()')
  return tonumber(step), canceled, tonumber(created), tonumber(duration), outcome, json_at
end

local function status_of(v, now)
  local _, canceled, created, duration, outcome = job_fields(v)
  if canceled ~= '' then return 'x' end
  if now >= created + duration then return outcome end
  return 'p'
end

local function lt(a, b)
  if a == b then return false end
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

-- A keyset cursor on a sorted set walked upwards: the members at exactly score after member,
-- as {score, member}, and where the range past them starts ('-inf' without a cursor).
local function after_cursor(key, score, member)
  local entries = {}
  if score == '' then return entries, '-inf' end
  local off = 0
  while true do
    local ties = redis.call('ZRANGE', key, score, score, 'BYSCORE', 'LIMIT', off, 100)
    for _, m in ipairs(ties) do
      if lt(member, m) then entries[#entries + 1] = {score, m} end
    end
    if #ties < 100 then break end
    off = off + 100
  end
  return entries, '(' .. score
end

local function oldest_kept(retention_ms)
  local t = redis.call('TIME')
  local min_id = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - tonumber(retention_ms)
  if min_id < 0 then min_id = 0 end
  return string.format('%d', min_id)
end

local function xadd(key, min_id, field, value)
  return redis.call('XADD', key, 'MINID', '~', min_id, '*', field, value)
end

local function settled(key, finish_at, id, trim_below)
  redis.call('ZADD', key, finish_at, id)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. trim_below)
end

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
 * KEYS: job, its listing index, unfinished-at, recently-settled, tenant set, tenant stream
 *       [, idempotency key]
 * ARGV: id, tenant, createdAt, job value, finishAt, where it starts ('u' unfinished, 's' settled,
 *       'x' canceled), event field, event value, channel, notice, idempotency value, idempotency
 *       TTL ms, key prefix, event retention ms, recently-settled trim instant, emittedStep < terminal
 *       ('1' or '0')
 * → {'idem', stored value[, its job's value]} | {'created', event id}; an error reply when the id
 *   exists. An idempotency key whose job is gone (deleted by retention) is forgotten.
 */
export const CREATE_JOB_LUA = `${JOB_LUA_LIB}
if KEYS[7] then
  local existing = redis.call('GET', KEYS[7])
  if existing then
    local nl = string.find(existing, '\\n', 1, true)
    local kind = nl and string.sub(existing, nl + 1, nl + 1)
    if kind ~= 'j' and kind ~= 'i' then return {'idem', existing} end
    local id = string.sub(existing, nl + 2)
    if kind == 'j' then id = 'job_' .. id end
    local job = redis.call('GET', ARGV[13] .. 'job:' .. id)
    if job then return {'idem', existing, job} end
  end
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.error_reply('VTJOBEXISTS a job with this id exists')
end
redis.call('SET', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
if ARGV[16] == '1' then redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1]) end
if ARGV[6] == 's' then settled(KEYS[4], ARGV[5], ARGV[1], ARGV[15]) end
redis.call('SADD', KEYS[5], ARGV[2])
local eid = xadd(KEYS[6], oldest_kept(ARGV[14]), ARGV[7], ARGV[8])
if KEYS[7] then redis.call('SET', KEYS[7], ARGV[11], 'PX', ARGV[12]) end
redis.call('PUBLISH', ARGV[9], eid .. ' ' .. ARGV[10])
return {'created', eid}
`;

/**
 * The cancel is judged at the instant it takes effect: `now` (the instance's instant when it was
 * asked) plus the time that passed since, by Redis's clock against the instance's wall clock then.
 * Otherwise a cancel that waited for Redis past the finish instant would cancel a job every
 * instance already reports completed.
 * KEYS: job, unfinished index, outcome index, canceled index, unfinished-at, recently-settled,
 *       tenant stream
 * ARGV: id, now, the canceled job's value, createdAt, event field, event value, channel, notice,
 *       key prefix, event retention ms, delivery id ('' for none), delivery JSON,
 *       wall clock ms when `now` was taken
 * → {'missing'} | {'already-canceled', canceled offset} | {'finished'} | {'canceled', event id}
 */
export const CANCEL_JOB_LUA = `${JOB_LUA_LIB}
local v = redis.call('GET', KEYS[1])
if not v then return {'missing'} end
local _, canceled, created, duration = job_fields(v)
if canceled ~= '' then return {'already-canceled', canceled} end
local t = redis.call('TIME')
local waited = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - tonumber(ARGV[13])
if tonumber(ARGV[2]) + math.max(0, waited) >= created + duration then return {'finished'} end
redis.call('SET', KEYS[1], ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
redis.call('ZREM', KEYS[6], ARGV[1])
local eid = xadd(KEYS[7], oldest_kept(ARGV[10]), ARGV[5], ARGV[6])
queue_delivery(ARGV[9], ARGV[11], ARGV[1], ARGV[2], ARGV[12])
redis.call('PUBLISH', ARGV[7], eid .. ' ' .. ARGV[8])
return {'canceled', eid}
`;

/** Arguments per emission of `EMIT_STEPS_LUA`, after its five leading ones. */
export const EMIT_STRIDE = 10;

/**
 * Compare-and-set of each job's emitted step: a step's event is written only if no step as far
 * along was written before (by this instance or another). The terminal step moves the job from its
 * tenant's unfinished index to its outcome's. The events written are announced in one notice, a
 * line each.
 * KEYS: unfinished-at, recently-settled, then per emission: job, tenant stream, unfinished index,
 *       outcome index
 * ARGV: channel, terminal step, key prefix, event retention ms, recently-settled trim instant, then
 *       per emission: id, step, event field, event value, notice, createdAt, finishAt, event
 *       instant, delivery id ('' for none), delivery JSON
 * → per emission, the event id or '' when skipped.
 */
export const EMIT_STEPS_LUA = `${JOB_LUA_LIB}
local out = {}
local n = (#KEYS - 2) / 4
local terminal = tonumber(ARGV[2])
local trim = false
local min_id = oldest_kept(ARGV[4])
local notices = {}
for i = 1, n do
  local jk, sk, uk, ok = KEYS[4 * i - 1], KEYS[4 * i], KEYS[4 * i + 1], KEYS[4 * i + 2]
  local a = 5 + ${EMIT_STRIDE} * (i - 1)
  local id, step = ARGV[a + 1], tonumber(ARGV[a + 2])
  local v = redis.call('GET', jk)
  out[i] = ''
  if v then
    local cur, canceled = job_fields(v)
    if cur < step then
      redis.call('SET', jk, ARGV[a + 2] .. string.sub(v, (string.find(v, '|', 1, true))))
      if step >= terminal then
        redis.call('ZREM', KEYS[1], id)
        if canceled == '' then
          redis.call('ZREM', uk, id)
          redis.call('ZADD', ok, ARGV[a + 6], id)
          redis.call('ZADD', KEYS[2], ARGV[a + 7], id)
          trim = true
        end
      end
      local eid = xadd(sk, min_id, ARGV[a + 3], ARGV[a + 4])
      queue_delivery(ARGV[3], ARGV[a + 9], id, ARGV[a + 8], ARGV[a + 10])
      notices[#notices + 1] = eid .. ' ' .. ARGV[a + 5]
      out[i] = eid
    end
  end
end
if trim then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[5]) end
if #notices > 0 then redis.call('PUBLISH', ARGV[1], table.concat(notices, '\\n')) end
return out
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
