/**
 * Rate-limit counters shared by every instance on one Redis: fixed windows that start at a key's
 * first request (`INCR` + `PEXPIRE` in one script), the same semantics as `MemoryRateLimiter`.
 */
import type { Redis } from 'ioredis';
import type { RateLimitDecision, RateLimiter, RateLimitPolicy } from '../rate-limit/types.js';
import { LuaScript } from './redis-scripts.js';

/** KEYS: counter   ARGV: window ms → {count, ms until reset} */
const CONSUME_LUA = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

type Guard = <T>(fn: () => Promise<T>) => Promise<T>;

export class RedisRateLimiter implements RateLimiter {
  readonly #script = new LuaScript(CONSUME_LUA);

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly guard: Guard,
  ) {}

  async consume(key: string, policy: RateLimitPolicy, _nowMs: number): Promise<RateLimitDecision> {
    const windowMs = policy.windowS * 1000;
    const counter = `${this.prefix}rl:${policy.name.length}:${policy.name}:${key}`;
    const [count, resetMs] = (await this.guard(() =>
      this.#script.run(this.redis, [counter], [windowMs]),
    )) as [number, number];
    return {
      allowed: count <= policy.limit,
      remaining: Math.max(0, policy.limit - count),
      resetMs,
      limit: policy.limit,
      windowS: policy.windowS,
    };
  }

  /** The connection belongs to the store, which closes it. */
  async close(): Promise<void> {}
}
