/**
 * The nearest-rank percentile `p` (0–100) of ascending `sorted` values; `NaN` when there are none.
 * With fewer than 100 samples the 99th percentile is the maximum: name it so where it is printed
 * (`sampleLabel`).
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** Ascending copy of `values`, for `percentile`. */
export function ascending(values: Iterable<number>): number[] {
  return [...values].sort((a, b) => a - b);
}
