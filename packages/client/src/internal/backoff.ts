import type { Random } from './clock.js';

/** Capped exponential backoff parameters. */
export interface BackoffPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
}

const GROWTH = 2;
/** "Equal jitter": half the delay is fixed, half random, so retries spread without collapsing to 0. */
const FIXED_SHARE = 0.5;

/**
 * The delay before retry number `attempt` (0-based): `min(max, base * 2^attempt)`, half of it
 * jittered.
 */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: Random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * GROWTH ** Math.max(0, attempt));
  return Math.round(ceiling * (FIXED_SHARE + (1 - FIXED_SHARE) * random()));
}

/** Bounds for polling without hints. */
export interface HintlessPollPolicy {
  minIntervalMs: number;
  maxIntervalMs: number;
}

/** Share of the time already waited that the next poll may add (so lateness ≤ 20 % of elapsed). */
const ELAPSED_SHARE = 0.2;
/** Jitter only shortens an interval, so the worst-case lateness bound still holds. */
const HINTLESS_JITTER = 0.2;

/**
 * The next poll delay when the server gives no hint: a fifth of the time waited so far, between
 * `minIntervalMs` and `maxIntervalMs`, jittered downwards. Polls therefore grow geometrically
 * (x1.2) and the worst-case lateness is `min(max, max(min, 20 % of elapsed))`.
 */
export function hintlessPollDelayMs(
  elapsedMs: number,
  policy: HintlessPollPolicy,
  random: Random,
): number {
  const ceiling = Math.min(
    policy.maxIntervalMs,
    Math.max(policy.minIntervalMs, ELAPSED_SHARE * elapsedMs),
  );
  return Math.round(ceiling * (1 - HINTLESS_JITTER * random()));
}
