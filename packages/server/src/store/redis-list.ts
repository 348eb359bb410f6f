/**
 * Listing a tenant's jobs from the Redis store's indexes (see `redis-layout.ts`), newest first by
 * (createdAt, id), by keyset — never by offset, so a page deep down costs what the first one does.
 *
 * A status is a function of the record and the instant, so the indexes hold where a job stands in
 * the store (unfinished, completed, error, canceled) and the script checks each candidate's status
 * at the listing instant. Jobs whose status differs from their index are the ones between their
 * finish instant and their terminal event (read from `unfinished-at` by finish instant) and those
 * whose terminal event came a hair early (`recently-settled`): a few, normally, so they are read as
 * a sorted list; when there are many (a catch-up after an outage), the unfinished index is walked.
 * One call examines a bounded number of entries; a page that needs more continues in another call.
 * The scheduler's work list is read the same way, a page per call.
 */
import { TERMINAL_STEP, type JobRecord } from '../sim/job-model.js';
import { JOB_LUA_LIB } from './redis-scripts.js';
import { decodeRecord, STATUS_CODES, tenantPrefix, type RedisKeys } from './redis-layout.js';
import type { ListQuery, UnfinishedPage } from './types.js';

/** Index entries one call examines at most (about a millisecond of Redis's time). */
const LIST_BUDGET = 1000;
/** Above this many, jobs off their index are found by walking it instead of as a sorted list. */
const STATIC_MAX = 500;

/**
 * KEYS: the tenant's unfinished, completed, error and canceled indexes, unfinished-at,
 *       recently-settled
 * ARGV: status code ('' any), cursor score ('' none), cursor id, limit, now, budget, key prefix,
 *       tenant prefix, most jobs read as a sorted list
 * → {'done' | 'more', last examined score, last examined id, id, value, id, value, …}
 */
export const LIST_JOBS_LUA = `${JOB_LUA_LIB}
local wanted, limit, now, budget = ARGV[1], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local prefix, tprefix, static_max = ARGV[7], ARGV[8], tonumber(ARGV[9])
local cur_raw, cur_num, cur_id = nil, nil, ARGV[3]
if ARGV[2] ~= '' then cur_raw, cur_num = ARGV[2], tonumber(ARGV[2]) end
local chunk = math.max(limit, 32)

-- Entries are {score as Redis wrote it, id, score}; newest first is greatest first.
local function greater(a, b)
  return a[3] > b[3] or (a[3] == b[3] and lt(b[2], a[2]))
end

-- Up to n members strictly after (raw, id) in newest-first order (all of them from the top).
local function page(key, raw, id, n)
  local out = {}
  local from = '+inf'
  if raw ~= nil then
    local num, off = tonumber(raw), 0
    while true do
      local ties = redis.call('ZRANGE', key, raw, raw, 'BYSCORE', 'REV', 'LIMIT', off, 100)
      for _, m in ipairs(ties) do
        if lt(m, id) then out[#out + 1] = {raw, m, num} end
      end
      if #ties < 100 then break end
      off = off + 100
    end
    from = '(' .. raw
  end
  if #out < n then
    local r = redis.call('ZRANGE', key, from, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, n - #out,
      'WITHSCORES')
    for i = 1, #r, 2 do out[#out + 1] = {r[i + 1], r[i], tonumber(r[i + 1])} end
  end
  return out
end

local function walker(key)
  return {key = key, buf = {}, i = 1, raw = cur_raw, id = cur_id, done = false}
end

local function fill(s)
  s.buf, s.i = page(s.key, s.raw, s.id, chunk), 1
  local last = s.buf[#s.buf]
  if last then s.raw, s.id = last[1], last[2] else s.done = true end
end

-- The tenant's jobs among those of a global set with scores in [min, max], newest first; nil when
-- there are more than static_max in the range.
local function sorted_list(key, min, max)
  local ids = redis.call('ZRANGE', key, min, max, 'BYSCORE', 'LIMIT', 0, static_max + 1)
  if #ids > static_max then return nil end
  local buf = {}
  for _, id in ipairs(ids) do
    local v = redis.call('GET', prefix .. 'job:' .. id)
    if v then
      local _, _, created, _, _, json_at = job_fields(v)
      if string.sub(v, json_at, json_at + #tprefix - 1) == tprefix and
        (cur_num == nil or created < cur_num or (created == cur_num and lt(id, cur_id))) then
        buf[#buf + 1] = {string.match(v, '^%d+|[^|]*|([^|]*)|'), id, created}
      end
    end
  end
  table.sort(buf, greater)
  return {buf = buf, i = 1, done = true}
end

local sources = {}
local function add(s) sources[#sources + 1] = s end
if wanted == '' then
  for k = 1, 4 do add(walker(KEYS[k])) end
elseif wanted == 'x' then
  add(walker(KEYS[4]))
elseif wanted == 'p' then
  add(sorted_list(KEYS[5], '(' .. ARGV[5], '+inf') or walker(KEYS[1]))
  local early = sorted_list(KEYS[6], '(' .. ARGV[5], '+inf')
  if early then add(early) else add(walker(KEYS[2])) add(walker(KEYS[3])) end
else
  if wanted == 'c' then add(walker(KEYS[2])) else add(walker(KEYS[3])) end
  add(sorted_list(KEYS[5], '-inf', ARGV[5]) or walker(KEYS[1]))
end

local out = {'done', '', ''}
local seen = {}
local examined, found, last = 0, 0, nil
while found < limit do
  if examined >= budget then out[1] = 'more' break end
  local best, head = nil, nil
  for _, s in ipairs(sources) do
    if s.buf[s.i] == nil and not s.done then fill(s) end
    local h = s.buf[s.i]
    if h and (head == nil or greater(h, head)) then best, head = s, h end
  end
  if not best then break end
  best.i = best.i + 1
  examined = examined + 1
  last = head
  if not seen[head[2]] then
    seen[head[2]] = true
    local v = redis.call('GET', prefix .. 'job:' .. head[2])
    if v and (wanted == '' or status_of(v, now) == wanted) then
      out[#out + 1] = head[2]
      out[#out + 1] = v
      found = found + 1
    end
  end
end
if last then out[2], out[3] = last[1], last[2] end
return out
`;

/**
 * A page of the scheduler's work list by keyset on (finishAt, id), with the jobs' values: one call.
 * KEYS: unfinished-at   ARGV: after score ('' from the start), after id, limit, key prefix
 * → {last score, last id ('' and '' after the last page), id, value, id, value, …}
 */
export const UNFINISHED_PAGE_LUA = `${JOB_LUA_LIB}
local n, prefix = tonumber(ARGV[3]), ARGV[4]
local out, ids = {'', ''}, {}
local ties, from = after_cursor(KEYS[1], ARGV[1], ARGV[2])
for _, e in ipairs(ties) do ids[#ids + 1] = e[2] end
local r = redis.call('ZRANGE', KEYS[1], from, '+inf', 'BYSCORE', 'LIMIT', 0, n, 'WITHSCORES')
for i = 1, #r, 2 do ids[#ids + 1] = r[i] end
if #r == 2 * n then out[1], out[2] = r[#r], r[#r - 1] end
for _, id in ipairs(ids) do
  local v = redis.call('GET', prefix .. 'job:' .. id)
  if v then
    out[#out + 1] = id
    out[#out + 1] = v
  end
end
return out
`;

type RunScript = (keys: string[], args: (string | number)[]) => Promise<unknown>;

/** A page of the jobs whose terminal event is unwritten; the cursor is the last `<finishAt> <id>`. */
export async function unfinishedPage(
  run: RunScript,
  keys: RedisKeys,
  cursor: string | undefined,
  limit: number,
): Promise<UnfinishedPage> {
  const space = cursor?.indexOf(' ') ?? -1;
  const after = cursor === undefined ? ['', ''] : [cursor.slice(0, space), cursor.slice(space + 1)];
  const reply = (await run([keys.unfinishedAt], [...after, limit, keys.prefix])) as string[];
  const records: JobRecord[] = [];
  for (let i = 2; i + 1 < reply.length; i += 2) {
    const record = decodeRecord(reply[i] ?? '', reply[i + 1] ?? '');
    if (record.emittedStep < TERMINAL_STEP) records.push(record);
  }
  if (!reply[0]) return { records, cursor: undefined };
  // In finish order: every job finishing before the last one's instant has been read (jobs sharing
  // that instant may still come on the next page).
  return {
    records,
    cursor: `${reply[0]} ${reply[1] ?? ''}`,
    finishedThrough: Number(reply[0]) - 1,
  };
}

/** A page of `q`, from as many bounded script calls as it takes. */
export async function listJobsByIndex(
  run: RunScript,
  keys: RedisKeys,
  q: ListQuery,
): Promise<JobRecord[]> {
  const scriptKeys = [
    keys.index('unfinished', q.tenant),
    keys.index('completed', q.tenant),
    keys.index('error', q.tenant),
    keys.index('canceled', q.tenant),
    keys.unfinishedAt,
    keys.recentlySettled,
  ];
  const wanted = q.status === undefined ? '' : STATUS_CODES[q.status];
  let score = q.before ? String(q.before.createdAt) : '';
  let id = q.before?.id ?? '';
  const out: JobRecord[] = [];
  while (out.length < q.limit) {
    const reply = (await run(scriptKeys, [
      wanted,
      score,
      id,
      q.limit - out.length,
      String(q.now),
      LIST_BUDGET,
      keys.prefix,
      tenantPrefix(q.tenant),
      STATIC_MAX,
    ])) as string[];
    for (let i = 3; i + 1 < reply.length; i += 2)
      out.push(decodeRecord(reply[i] ?? '', reply[i + 1] ?? ''));
    if (reply[0] !== 'more') break;
    score = reply[1] ?? '';
    id = reply[2] ?? '';
  }
  return out;
}
