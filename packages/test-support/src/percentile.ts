/**
 * Percentiles as every bench prints them: nearest rank over ascending values. Under
 * `MIN_SAMPLES_FOR_P99` samples the 99th percentile would only be the maximum, so `p99` is `NaN`
 * there (printed `–`) and the maximum is reported by its own name.
 */
export const MIN_SAMPLES_FOR_P99 = 100;

/** The nearest-rank percentile `p` (0–100) of ascending `sorted` values; `NaN` when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** The 99th percentile of ascending `sorted`, or `NaN` under `MIN_SAMPLES_FOR_P99` samples. */
export function p99(sorted: readonly number[]): number {
  return sorted.length >= MIN_SAMPLES_FOR_P99 ? percentile(sorted, 99) : Number.NaN;
}

/** Ascending copy of `values`, for `percentile`. */
export function ascending(values: Iterable<number>): number[] {
  return [...values].sort((a, b) => a - b);
}
