/**
 * The Redis store's retention sweep: deletes finished jobs that ended before the cutoff, trims the
 * event streams to it, and drops finished webhook deliveries — in bounded steps (a few hundred jobs
 * per script call, about a millisecond of Redis's time), each a round trip, so neither Redis nor
 * the instance stalls however much is due. Sweeps never overlap: a call made while one runs waits
 * for it and then runs once, with the newest cutoff, for every caller that came meanwhile.
 */
import type { Redis } from 'ioredis';
import { TERMINAL_STEP } from '../sim/job-model.js';
import type { RedisKeys } from './redis-layout.js';
import { JOB_LUA_LIB, LuaScript } from './redis-scripts.js';
import type { RedisWebhooks } from './redis-webhooks.js';

/** Index entries one step examines. */
const SWEEP_BATCH = 250;
/** Stream entries one approximate trim removes at most (whole nodes). */
const TRIM_BATCH = 10_000;

/**
 * Deletes the jobs of one settled index (completed, error or canceled) that ended before the cutoff,
 * walking it oldest first from a position, a batch at a time.
 * KEYS: the index, recently-settled
 * ARGV: before, after score ('' from the start), after id, batch, key prefix, terminal step,
 *       ids to keep…
 * → {deleted, 'done'} | {deleted, 'more', last score, last id}
 */
const SWEEP_JOBS_LUA = `${JOB_LUA_LIB}
local before, batch, prefix, terminal = tonumber(ARGV[1]), tonumber(ARGV[4]), ARGV[5],
  tonumber(ARGV[6])
local keep = {}
for i = 7, #ARGV do keep[ARGV[i]] = true end
local entries, from = after_cursor(KEYS[1], ARGV[2], ARGV[3])
if #entries < batch then
  local r = redis.call('ZRANGE', KEYS[1], from, '(' .. ARGV[1], 'BYSCORE', 'LIMIT', 0,
    batch - #entries, 'WITHSCORES')
  for i = 1, #r, 2 do entries[#entries + 1] = {r[i + 1], r[i]} end
end
local deleted = 0
for _, e in ipairs(entries) do
  local id = e[2]
  local jk = prefix .. 'job:' .. id
  local v = redis.call('GET', jk)
  if not v then
    redis.call('ZREM', KEYS[1], id)
  elseif not keep[id] then
    local step, canceled, created, duration = job_fields(v)
    local ended = created + duration
    if canceled ~= '' then ended = created + tonumber(canceled) end
    if step >= terminal and ended < before then
      redis.call('DEL', jk)
      redis.call('ZREM', KEYS[1], id)
      redis.call('ZREM', KEYS[2], id)
      deleted = deleted + 1
    end
  end
end
local last = entries[#entries]
if not last then return {deleted, 'done'} end
return {deleted, 'more', last[1], last[2]}
`;

type Guard = <T>(fn: () => Promise<T>) => Promise<T>;

interface Queued {
  before: number;
  keepIds: readonly string[];
  promise: Promise<number>;
}

export class RedisSweeper {
  readonly #script = new LuaScript(SWEEP_JOBS_LUA);
  #running: Promise<number> | undefined;
  #queued: Queued | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly guard: Guard,
    private readonly webhooks: RedisWebhooks,
  ) {}

  /** Sweeps what ended before `before`; resolves with the jobs deleted by the sweep it joined. */
  sweep(before: number, keepIds: readonly string[]): Promise<number> {
    const queued = this.#queued;
    if (queued) {
      queued.before = before;
      queued.keepIds = keepIds;
      return queued.promise;
    }
    const running = this.#running;
    if (!running) return this.#start(before, keepIds);
    const next: Queued = {
      before,
      keepIds,
      promise: running
        .catch(() => 0)
        .then(() => {
          this.#queued = undefined;
          return this.#start(next.before, next.keepIds);
        }),
    };
    this.#queued = next;
    return next.promise;
  }

  #start(before: number, keepIds: readonly string[]): Promise<number> {
    const pass = this.#pass(before, keepIds).finally(() => {
      if (this.#running === pass) this.#running = undefined;
    });
    this.#running = pass;
    return pass;
  }

  async #pass(before: number, keepIds: readonly string[]): Promise<number> {
    const keys = this.keys;
    let deleted = 0;
    const tenants = await this.guard(() => this.redis.smembers(keys.tenants));
    for (const tenant of tenants) {
      for (const state of ['completed', 'error', 'canceled'] as const) {
        let score = '';
        let id = '';
        for (;;) {
          const reply = (await this.guard(() =>
            this.#script.run(
              this.redis,
              [keys.index(state, tenant), keys.recentlySettled],
              [before, score, id, SWEEP_BATCH, keys.prefix, TERMINAL_STEP, ...keepIds],
            ),
          )) as [number, string, string?, string?];
          deleted += Number(reply[0]);
          if (reply[1] !== 'more') break;
          score = reply[2] ?? '';
          id = reply[3] ?? '';
        }
      }
      await this.#trim(keys.stream(tenant), before);
    }
    await this.guard(() => this.redis.zremrangebyscore(keys.recentlySettled, '-inf', `(${before}`));
    await this.webhooks.purge(before);
    return deleted;
  }

  /** Trims a stream to the cutoff: whole nodes a batch at a time, then the rest of the oldest one. */
  async #trim(stream: string, before: number): Promise<void> {
    const minId = `${Math.max(0, Math.floor(before))}-0`;
    for (;;) {
      const removed = await this.guard(() =>
        this.redis.xtrim(stream, 'MINID', '~', minId, 'LIMIT', TRIM_BATCH),
      );
      if (removed === 0) break;
    }
    await this.guard(() => this.redis.xtrim(stream, 'MINID', minId));
  }
}
