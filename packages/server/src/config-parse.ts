/** Small parsers for configuration values; each throws a `ConfigError` naming the variable. */

/** A configuration value that is not allowed. Its message is one line meant for a terminal. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly variable: string;
  constructor(variable: string, value: string, allowed: string) {
    super(`Invalid ${variable}=${JSON.stringify(value)}: ${allowed}`);
    this.variable = variable;
  }
}

const DURATION_UNITS_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

export function parseIntIn(name: string, raw: string, min: number, max: number): number {
  const trimmed = raw.trim();
  if (!/^-?\d+$/.test(trimmed))
    throw new ConfigError(name, raw, `expected an integer from ${min} to ${max}`);
  const n = Number(trimmed);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(name, raw, `expected an integer from ${min} to ${max}`);
  }
  return n;
}

export function parseNumberIn(name: string, raw: string, min: number, max: number): number {
  const trimmed = raw.trim();
  const n = trimmed === '' ? Number.NaN : Number(trimmed);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new ConfigError(name, raw, `expected a number from ${min} to ${max}`);
  }
  return n;
}

/** `250ms`, `10s`, `5m`, `24h`, `1d`; a bare number is milliseconds. */
export function parseDurationMs(name: string, raw: string, minMs: number, maxMs: number): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(raw.trim());
  const allowed = `expected a duration like 500ms, 10s, 5m or 24h, from ${minMs} ms to ${maxMs} ms`;
  if (!match) throw new ConfigError(name, raw, allowed);
  const value = Number(match[1]) * (DURATION_UNITS_MS[match[2] ?? 'ms'] ?? 1);
  if (!Number.isFinite(value) || value < minMs || value > maxMs)
    throw new ConfigError(name, raw, allowed);
  return Math.round(value);
}

export function parseBoolean(name: string, raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  throw new ConfigError(name, raw, 'expected true or false');
}

export function parseOneOf<T extends string>(name: string, raw: string, options: readonly T[]): T {
  const v = raw.trim() as T;
  if (!options.includes(v))
    throw new ConfigError(name, raw, `expected one of ${options.join(', ')}`);
  return v;
}

/** Parses `KEY=VALUE` lines of a `.env` file; `#` comments and `export ` prefixes allowed. */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m?.[1]) continue;
    let value = m[2] ?? '';
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2] ?? '';
    else value = value.replace(/\s+#.*$/, '');
    out[m[1]] = value;
  }
  return out;
}
