/**
 * The client's internal tuning: constants its mechanisms are built around, measured by the fault
 * tests and `bench/chaos`, not options. A user sets what `DEFAULTS` (in `options.ts`) lists.
 */
export const TUNING = {
  /** A plain call told to come back later than this fails instead of sleeping. */
  maxRetryAfterMs: 60_000,
  /** The server caps holds at 50 s (load balancers cut idle requests at 60 s). */
  maxHoldS: 50,
  /** Concurrent waits beyond this share one `/v1/events` stream instead of a batch long poll. */
  maxBatchSize: 100,
  /**
   * A held wait (long poll, batch long poll, event stream) whose re-arm fails once after a success
   * retries within this (jittered, at least half of it), unless told `Retry-After`.
   */
  rearmRetryDelayMs: 50,
  /** Waits joining a shared batch within this window share one re-arm of the held request. */
  joinCoalesceMs: 25,
  /** The last check before a deadline starts this long before it. */
  finalCheckLeadMs: 30,
  /** ...and may overrun the deadline by this much before it is abandoned. */
  finalCheckGraceMs: 15,
  /** Three missed 15 s heartbeats mean a dead stream. */
  sseIdleTimeoutMs: 45_000,
} as const;
