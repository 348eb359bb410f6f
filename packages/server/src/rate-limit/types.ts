/**
 * The rate limiter's interface. Small and asynchronous so a shared backend (Redis) can keep the
 * counters for several instances behind the same calls as the in-memory one.
 */

/** One tier's allowance: `limit` requests per `windowS` seconds. */
export interface RateLimitPolicy {
  /** The tier's name, as `VT_API_KEYS` assigns it and the `RateLimit` headers report it. */
  name: string;
  limit: number;
  windowS: number;
}

/** The outcome of counting one request. */
export interface RateLimitDecision {
  allowed: boolean;
  /** Requests left in the current window after this one (0 when refused). */
  remaining: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
  limit: number;
  windowS: number;
}

export interface RateLimiter {
  /**
   * Counts one request of `key` under `policy` at `nowMs` (epoch ms). Fixed windows that start
   * at a key's first request — the same semantics as Redis `INCR` + `PEXPIRE NX`.
   */
  consume(key: string, policy: RateLimitPolicy, nowMs: number): Promise<RateLimitDecision>;
  /** Releases timers and connections. */
  close(): Promise<void>;
}
