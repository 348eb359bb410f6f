/** Fixed-window counters in this process's memory: one instance, or tests. */
import type { RateLimitDecision, RateLimiter, RateLimitPolicy } from './types.js';

/** Expired windows are swept at most this often, so idle keys do not accumulate. */
const SWEEP_INTERVAL_MS = 60_000;

interface Window {
  count: number;
  resetAt: number;
}

export class MemoryRateLimiter implements RateLimiter {
  readonly #windows = new Map<string, Window>();
  #lastSweep = 0;

  /** Keys with a live window (for tests). */
  get size(): number {
    return this.#windows.size;
  }

  consume(key: string, policy: RateLimitPolicy, nowMs: number): Promise<RateLimitDecision> {
    this.#sweep(nowMs);
    const id = `${policy.name}\u0000${key}`;
    let window = this.#windows.get(id);
    if (!window || window.resetAt <= nowMs) {
      window = { count: 0, resetAt: nowMs + policy.windowS * 1000 };
      this.#windows.set(id, window);
    }
    window.count++;
    const allowed = window.count <= policy.limit;
    return Promise.resolve({
      allowed,
      remaining: Math.max(0, policy.limit - window.count),
      resetMs: window.resetAt - nowMs,
      limit: policy.limit,
      windowS: policy.windowS,
    });
  }

  close(): Promise<void> {
    this.#windows.clear();
    return Promise.resolve();
  }

  #sweep(nowMs: number): void {
    if (nowMs - this.#lastSweep < SWEEP_INTERVAL_MS) return;
    this.#lastSweep = nowMs;
    for (const [id, window] of this.#windows) {
      if (window.resetAt <= nowMs) this.#windows.delete(id);
    }
  }
}
