const MS_PER_S = 1000;
const DIGITS = /^\d+$/;
const HTTP_DATE = /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const PREFERENCE_WAIT = /(?:^|[\s,;])wait\s*=\s*"?(\d+)"?/i;
const WEAK_VERSION = /^(?:W\/)?"(\d+)"$/;

/**
 * Parses `Retry-After` (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) into ms from `nowMs`;
 * `undefined` when absent or malformed.
 */
export function parseRetryAfterMs(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (DIGITS.test(trimmed)) return Number(trimmed) * MS_PER_S;
  // Only an IMF-fixdate (it has a weekday and month names); Date.parse would take "-1" as a year.
  if (!HTTP_DATE.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** The wait (seconds) a `Preference-Applied` header confirms, or `undefined` when it does not. */
export function parsePreferenceAppliedWaitS(value: string | null): number | undefined {
  if (value === null) return undefined;
  const match = PREFERENCE_WAIT.exec(value);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** The weak ETag the server gives a job of this version. */
export function formatJobEtag(version: number): string {
  return `W/"${version}"`;
}

/** The version in a job's ETag, or `undefined` for another shape. */
export function parseJobEtagVersion(value: string | null): number | undefined {
  const match = value === null ? null : WEAK_VERSION.exec(value.trim());
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** Parses an ISO timestamp into epoch ms, `undefined` when absent or invalid. */
export function parseIsoMs(value: string | null | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
