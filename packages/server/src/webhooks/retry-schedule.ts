/** The retry schedule of webhook deliveries: parsing `VT_WEBHOOK_RETRY_DELAYS` and drawing jitter. */
import { ConfigError, parseDurationMs } from '../config-parse.js';

/** Each delay varies by up to ± this fraction, so retries from many jobs do not arrive in step. */
export const RETRY_JITTER = 0.1;
/** Longest single delay and most entries accepted. */
const MAX_DELAY_MS = 7 * 86_400_000;
const MAX_DELAYS = 50;

/** Parses `5s,30s,2m,15m,1h` into milliseconds; `none` (or empty) means no retries. */
export function parseRetryDelays(name: string, raw: string): number[] {
  const text = raw.trim();
  if (text === '' || text === 'none') return [];
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length > MAX_DELAYS)
    throw new ConfigError(name, raw, `expected at most ${MAX_DELAYS} delays`);
  return parts.map((part) => {
    try {
      return parseDurationMs(name, part, 1, MAX_DELAY_MS);
    } catch {
      throw new ConfigError(
        name,
        raw,
        'expected comma-separated durations like 5s,30s,2m,15m,1h (each from 1 ms to 7d), or none',
      );
    }
  });
}

/**
 * When attempt `attempt` (1-based) failed, the delay before the next one — `undefined` when the
 * schedule is exhausted. `random` is in [0, 1): 0.5 gives the exact delay.
 */
export function retryDelayMs(
  delaysMs: readonly number[],
  attempt: number,
  random: () => number,
): number | undefined {
  const base = delaysMs[attempt - 1];
  if (base === undefined) return undefined;
  return Math.max(0, Math.round(base * (1 + (random() * 2 - 1) * RETRY_JITTER)));
}
