/** Parsers for option values: a bad value becomes commander's one-line usage error (exit 2). */
import { InvalidArgumentError } from 'commander';

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DAY_MS = 86_400_000;

/** A duration given on the command line: its value and the text the user wrote (`1s`). */
export interface Duration {
  readonly ms: number;
  readonly text: string;
}

/** `1500`, `500ms`, `1.5s`, `2m`, `1h` → milliseconds (a bare number is milliseconds). */
export function parseDuration(raw: string, maxMs = DAY_MS): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(raw.trim());
  const value = match ? Number(match[1]) * (UNITS_MS[match[2] ?? 'ms'] ?? 1) : Number.NaN;
  if (!Number.isFinite(value) || value > maxMs) {
    throw new InvalidArgumentError(
      `expected a duration like 1500, 500ms, 1.5s, 2m or 1h (at most ${maxMs / 3_600_000}h)`,
    );
  }
  return Math.round(value);
}

/** An integer from `min` to `max`. */
export function integerIn(min: number, max: number): (raw: string) => number {
  return (raw) => {
    const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return n;
  };
}

/** A job id as the API issues them (`job_` + base32), checked so typos fail before a request. */
export function parseJobId(raw: string): string {
  const id = raw.trim();
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(id)) {
    throw new InvalidArgumentError('expected a job id like job_abcdefghijklmnopqrst');
  }
  return id;
}
