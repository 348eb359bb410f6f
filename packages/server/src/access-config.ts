/**
 * Who may use the server, as configured: API keys (`VT_API_KEYS`, `VT_API_KEYS_FILE`), each naming
 * its tenant and rate-limit tier, and the rule that open mode (no keys: every client is the one
 * public tenant) is allowed only on a loopback address. Parsed and checked here, at start-up;
 * `plugins/auth.ts` enforces it on requests.
 */
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { ConfigError } from './config-parse.js';
import { DEFAULT_RATE_LIMITS, DEFAULT_TIER, parseRateLimits } from './rate-limit/policies.js';
import type { RateLimitPolicy } from './rate-limit/types.js';

/** One configured key. */
export interface ApiKeyEntry {
  key: string;
  tenant: string;
  /** The rate-limit tier. @default 'free' */
  tier: string;
}

/** The part of the server configuration that decides access (`ServerConfig` has these fields). */
export interface AccessConfig {
  host: string;
  apiKeys: ApiKeyEntry[];
  apiKeysFromFile: ApiKeyEntry[];
  rateLimits: RateLimitPolicy[] | undefined;
}

/** RFC 6750 `b64token`. */
export const KEY_PATTERN = /^[A-Za-z0-9._~+/-]+=*$/;
const TENANT_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const TIER_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;
export const MAX_KEY_LENGTH = 256;

/**
 * Parses `key:tenant[:tier]` entries separated by commas (or, from a file, by lines with `#`
 * comments). The error names the entry by position and never repeats a key.
 */
export function parseApiKeys(
  variable: string,
  raw: string,
  separator: RegExp = /,/,
): ApiKeyEntry[] {
  const entries = raw
    .split(separator)
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter(Boolean);
  const hidden = `<${entries.length} entries, hidden>`;
  const out: ApiKeyEntry[] = [];
  entries.forEach((entry, i) => {
    const [key = '', tenant = '', tier = DEFAULT_TIER, ...rest] = entry.split(':');
    const problem = apiKeyProblem({ key, tenant, tier }, rest.length > 0);
    if (problem) {
      throw new ConfigError(
        variable,
        hidden,
        `entry ${i + 1} ${problem}; expected key:tenant[:tier]`,
      );
    }
    out.push({ key, tenant, tier });
  });
  return out;
}

function apiKeyProblem(entry: ApiKeyEntry, extraParts = false): string | undefined {
  if (extraParts) return 'has more than three :-separated parts';
  if (!KEY_PATTERN.test(entry.key) || entry.key.length > MAX_KEY_LENGTH)
    return `has a key that is not 1 to ${MAX_KEY_LENGTH} characters of A-Z a-z 0-9 . _ ~ + / - (then =)`;
  if (!TENANT_PATTERN.test(entry.tenant))
    return 'has a tenant that is not 1 to 64 characters of A-Z a-z 0-9 . _ -';
  if (!TIER_PATTERN.test(entry.tier))
    return 'has a tier that is not 1 to 32 characters of a-z 0-9 _ -';
  return undefined;
}

/** Reads a keys file: one `key:tenant[:tier]` a line, `#` comments. */
export function readApiKeysFile(variable: string, path: string): ApiKeyEntry[] {
  let text: string;
  try {
    text = readFileSync(path.trim(), 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(variable, path, `the file cannot be read (${reason})`);
  }
  return parseApiKeys(variable, text, /\r?\n/);
}

/** Checks keys given in code (`startServer({ apiKeys })`) and across both sources. */
export function validateApiKeys(variable: string, entries: readonly ApiKeyEntry[]): void {
  const seen = new Map<string, string>();
  entries.forEach((entry, i) => {
    const problem = apiKeyProblem(entry);
    const hidden = `<${entries.length} entries, hidden>`;
    if (problem) throw new ConfigError(variable, hidden, `entry ${i + 1} ${problem}`);
    const owner = seen.get(entry.key);
    if (owner !== undefined && owner !== entry.tenant) {
      throw new ConfigError(variable, hidden, `one key is given to two tenants (entry ${i + 1})`);
    }
    seen.set(entry.key, entry.tenant);
  });
}

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase();
  if (h === 'localhost') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h;
  if (isIPv4(v4)) return v4.startsWith('127.');
  if (!isIPv6(h)) return false;
  const canonical = new URL(`http://[${h}]/`).hostname.slice(1, -1);
  if (canonical === '::1') return true;
  const mapped = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(canonical);
  // The high byte of the IPv4-mapped address.
  return mapped?.[1] !== undefined && parseInt(mapped[1], 16) >> 8 === 127;
}

/** Every configured key, from the variable and the file. */
export function configuredKeys(
  config: Pick<AccessConfig, 'apiKeys' | 'apiKeysFromFile'>,
): ApiKeyEntry[] {
  return [...config.apiKeys, ...config.apiKeysFromFile];
}

/** The rate-limit tiers in force: as configured, else the defaults with keys, else none. */
export function effectiveRateLimits(
  config: Pick<AccessConfig, 'apiKeys' | 'apiKeysFromFile' | 'rateLimits'>,
): RateLimitPolicy[] {
  if (config.rateLimits) return config.rateLimits;
  return configuredKeys(config).length > 0
    ? parseRateLimits('VT_RATE_LIMITS', DEFAULT_RATE_LIMITS)
    : [];
}

/**
 * Checks keys, tiers and the open-mode rule together; throws a one-line `ConfigError`. Open mode
 * (no keys) lets anyone act as the one public tenant, so it is refused off loopback.
 */
export function checkAccessConfig(config: AccessConfig): void {
  const keys = configuredKeys(config);
  validateApiKeys(config.apiKeysFromFile.length > 0 ? 'VT_API_KEYS_FILE' : 'VT_API_KEYS', keys);
  if (keys.length === 0) {
    if (!isLoopbackHost(config.host)) {
      throw new ConfigError(
        'HOST',
        config.host,
        'open mode (no VT_API_KEYS or VT_API_KEYS_FILE) is allowed only on a loopback address (127.0.0.1, ::1, localhost); set API keys to listen here',
      );
    }
    return;
  }
  const tiers = effectiveRateLimits(config).map((p) => p.name);
  const missing = keys.find((k) => !tiers.includes(k.tier));
  if (missing) {
    throw new ConfigError(
      'VT_RATE_LIMITS',
      config.rateLimits ? config.rateLimits.map((p) => p.name).join(',') : DEFAULT_RATE_LIMITS,
      `a key of tenant ${missing.tenant} has tier ${JSON.stringify(missing.tier)}, which is not among the tiers (${tiers.join(', ')})`,
    );
  }
}
