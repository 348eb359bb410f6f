import type { Clock } from './clock.js';

/** Token-bucket parameters. */
export interface RetryBudgetOptions {
  /** Tokens available at once (a burst of retries). */
  capacity: number;
  /** Tokens regained per second. */
  refillPerSecond: number;
}

const MS_PER_S = 1000;

/**
 * A per-client token bucket each retry draws from, so an outage turns into a trickle of
 * retries instead of every call retrying on its own schedule.
 */
export class RetryBudget {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly options: RetryBudgetOptions,
    private readonly clock: Clock,
  ) {
    this.tokens = options.capacity;
    this.updatedAt = clock.now();
  }

  /** Takes one token if there is one. */
  tryAcquire(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** How long until a token is available (0 if one is). */
  msUntilAvailable(): number {
    this.refill();
    if (this.tokens >= 1) return 0;
    if (this.options.refillPerSecond <= 0) return Number.POSITIVE_INFINITY;
    return Math.ceil(((1 - this.tokens) / this.options.refillPerSecond) * MS_PER_S);
  }

  /** Tokens currently available (fractional). */
  available(): number {
    this.refill();
    return this.tokens;
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsedS = Math.max(0, now - this.updatedAt) / MS_PER_S;
    this.updatedAt = now;
    this.tokens = Math.min(
      this.options.capacity,
      this.tokens + elapsedS * this.options.refillPerSecond,
    );
  }
}
