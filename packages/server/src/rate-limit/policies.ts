/**
 * Rate-limit tiers as configured (`VT_RATE_LIMITS=free=60/min,pro=600/min`) and the IETF draft's
 * headers (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy: "free";q=60;w=60` and
 * `RateLimit: "free";r=59;t=37`. Written here by hand because libraries still emit older forms.
 */
import { ConfigError } from '../config-parse.js';
import type { RateLimitDecision, RateLimitPolicy } from './types.js';

/** The tiers keys get when `VT_RATE_LIMITS` is unset and API keys are configured. */
export const DEFAULT_RATE_LIMITS = 'free=60/min,pro=600/min';
/** The tier a key without one, and (in open mode) every client address, gets. */
export const DEFAULT_TIER = 'free';

const TIER_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const MAX_LIMIT = 1_000_000_000;

const WINDOW_UNITS_S: Record<string, number> = {
  s: 1,
  sec: 1,
  m: 60,
  min: 60,
  h: 3600,
  hour: 3600,
};

/** Parses `name=N/unit,…`; throws a one-line `ConfigError` naming `variable` on a bad entry. */
export function parseRateLimits(variable: string, raw: string): RateLimitPolicy[] {
  const allowed =
    'expected tier=N/unit entries separated by commas, e.g. free=60/min,pro=600/min (unit s, min or h)';
  const policies: RateLimitPolicy[] = [];
  const entries = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new ConfigError(variable, raw, allowed);
  for (const entry of entries) {
    const m = /^([^=\s]+)\s*=\s*(\d+)\s*\/\s*([a-z]+)$/.exec(entry);
    const windowS = m?.[3] === undefined ? undefined : WINDOW_UNITS_S[m[3]];
    const limit = Number(m?.[2]);
    if (!m?.[1] || windowS === undefined || !Number.isSafeInteger(limit)) {
      throw new ConfigError(variable, raw, allowed);
    }
    if (!TIER_NAME.test(m[1])) {
      throw new ConfigError(
        variable,
        raw,
        `tier name ${JSON.stringify(m[1])} must be 1 to 32 lowercase letters, digits, _ or -`,
      );
    }
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new ConfigError(variable, raw, `the limit of tier ${m[1]} must be 1 to ${MAX_LIMIT}`);
    }
    if (policies.some((p) => p.name === m[1])) {
      throw new ConfigError(variable, raw, `tier ${m[1]} is listed twice`);
    }
    policies.push({ name: m[1], limit, windowS });
  }
  return policies;
}

/** Seconds until the window resets, as the headers and `Retry-After` report it (at least 1). */
export function resetSeconds(decision: RateLimitDecision): number {
  return Math.max(1, Math.ceil(decision.resetMs / 1000));
}

/** `"free";q=60;w=60` */
export function formatPolicyHeader(policy: RateLimitPolicy): string {
  return `"${policy.name}";q=${policy.limit};w=${policy.windowS}`;
}

/** `"free";r=59;t=37` */
export function formatRateLimitHeader(
  policy: RateLimitPolicy,
  decision: RateLimitDecision,
): string {
  return `"${policy.name}";r=${decision.remaining};t=${resetSeconds(decision)}`;
}
