import type { Clock } from './clock.js';

/** Token-bucket parameters. */
export interface RetryBudgetOptions {
  /** Tokens available at once (a burst of retries). */
  capacity: number;
  /** Tokens regained per second, whatever happens (so waits outlive an outage). */
  refillPerSecond: number;
  /** Tokens regained per successful answer (so partial failure does not starve waits). */
  refillPerSuccess: number;
}

const MS_PER_S = 1000;

/**
 * A per-client token bucket each retry draws from, so an outage turns into a trickle of
 * retries instead of every call retrying on its own schedule.
 *
 * The rule: every retry takes one token; tokens come back with time (`refillPerSecond`) and with
 * every successful answer (`refillPerSuccess`), never above `capacity`. During an outage nothing
 * succeeds, so after the burst retries run at the time refill rate, however many waits there are.
 * Under partial failure the successes pay for the retries: with one token per success the bucket
 * stays full as long as fewer than half the answers fail (failures ≤ successes). This is the
 * shape of gRPC's retry throttling and the AWS SDKs' retry quota, with a time refill added because
 * a wait, unlike a call, must keep trying until its deadline.
 */
export class RetryBudget {
  private tokens: number;
  private updatedAt: number;
  private readonly successListeners = new Set<() => void>();

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

  /** Credits a successful answer: the server works, so retries are cheap to allow again. */
  recordSuccess(): void {
    this.refill();
    this.tokens = Math.min(this.options.capacity, this.tokens + this.options.refillPerSuccess);
    for (const listener of [...this.successListeners]) listener();
  }

  /**
   * Calls `listener` on each {@link recordSuccess} until the returned function is called, so a
   * retry waiting for a token takes one as soon as an answer succeeds.
   */
  onSuccess(listener: () => void): () => void {
    this.successListeners.add(listener);
    return () => this.successListeners.delete(listener);
  }

  /** How long until a token is available (0 if one is) if no answer succeeds meanwhile. */
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
