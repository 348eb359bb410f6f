import { VtransClient } from '@vtrans/client';
import type { Clock } from '../../src/internal/clock.js';

/** A clock whose time runs `factor` times faster than real time, recording every scheduled delay. */
export interface ScaledClock extends Clock {
  /** Every delay scheduled (in the clock's ms), in order. */
  readonly delays: number[];
}

/**
 * Compresses time so a test of a 10 s schedule takes 100 ms at factor 100, while the client
 * computes and schedules its delays in full-size ms (which the test can assert).
 */
export function createScaledClock(factor: number): ScaledClock {
  const startMs = Date.now();
  const delays: number[] = [];
  return {
    delays,
    now: () => startMs + (Date.now() - startMs) * factor,
    setTimeout: (callback, delayMs) => {
      delays.push(delayMs);
      return setTimeout(callback, Math.max(0, delayMs) / factor);
    },
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  };
}

/** A random source returning a fixed value (0.5 unless told). */
export function fixedRandom(value = 0.5): () => number {
  return () => value;
}

/**
 * A client on `clock` with a fixed random source (`random`, 0.5 unless told), so its delays can be
 * asserted; `requestTimeoutMs` is large so a few real milliseconds of a request are not a timeout on
 * a scaled clock.
 */
export function clientOnClock(
  url: string,
  clock: Clock,
  options: { random?: number; fetch?: typeof fetch } = {},
): VtransClient {
  return new VtransClient(
    { baseUrl: url, requestTimeoutMs: 600_000, ...(options.fetch ? { fetch: options.fetch } : {}) },
    { clock, random: fixedRandom(options.random) },
  );
}
