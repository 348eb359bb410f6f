/**
 * API keys and tenants. With keys configured, every `/v1` route and `GET /status?job_id=` need
 * `Authorization: Bearer <key>`; the key's tenant becomes `request.tenant`, so other tenants' jobs
 * are invisible. Keys are looked up by their SHA-256 and compared in constant time; they are never
 * logged (the logger redacts `authorization`). Without keys the server is in open mode: every
 * request is the one public tenant, which `config.ts` allows only on a loopback address.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { routePattern } from '../http/route-pattern.js';
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ConfigError } from '../config-parse.js';
import { ProblemError } from '../errors.js';
import type { ServerConfig } from '../config.js';
import { DEFAULT_RATE_LIMITS, DEFAULT_TIER, parseRateLimits } from '../rate-limit/policies.js';
import type { RateLimitPolicy } from '../rate-limit/types.js';

/** One configured key. */
export interface ApiKeyEntry {
  key: string;
  tenant: string;
  /** The rate-limit tier. @default 'free' */
  tier: string;
}

/** Who a request authenticated as; `undefined` in open mode and on public routes. */
export interface Principal {
  /** A short, non-reversible id of the key (for rate-limit counters and logs); never the key. */
  keyId: string;
  tenant: string;
  tier: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

/** RFC 6750 `b64token`. */
const KEY_PATTERN = /^[A-Za-z0-9._~+/-]+=*$/;
const TENANT_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const TIER_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const MAX_KEY_LENGTH = 256;
const CHALLENGE = 'Bearer realm="vtrans"';

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
  config: Pick<ServerConfig, 'apiKeys' | 'apiKeysFromFile'>,
): ApiKeyEntry[] {
  return [...config.apiKeys, ...config.apiKeysFromFile];
}

/** The rate-limit tiers in force: as configured, else the defaults with keys, else none. */
export function effectiveRateLimits(
  config: Pick<ServerConfig, 'apiKeys' | 'apiKeysFromFile' | 'rateLimits'>,
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
export function checkAccessConfig(
  config: Pick<ServerConfig, 'host' | 'apiKeys' | 'apiKeysFromFile' | 'rateLimits'>,
): void {
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

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

/** The configured keys, indexed by hash. */
export class KeyRing {
  readonly #byHash = new Map<string, { hash: Buffer; principal: Principal }>();

  constructor(entries: readonly ApiKeyEntry[]) {
    for (const entry of entries) {
      const hash = sha256(entry.key);
      this.#byHash.set(hash.toString('hex'), {
        hash,
        principal: {
          keyId: `key_${hash.toString('hex').slice(0, 12)}`,
          tenant: entry.tenant,
          tier: entry.tier,
        },
      });
    }
  }

  get isOpen(): boolean {
    return this.#byHash.size === 0;
  }

  get tenants(): string[] {
    return [...new Set([...this.#byHash.values()].map((v) => v.principal.tenant))];
  }

  /** The key's principal, or `undefined`. Hashing first makes the lookup's timing independent of the key. */
  lookup(presented: string): Principal | undefined {
    const hash = sha256(presented);
    const found = this.#byHash.get(hash.toString('hex'));
    // A second, constant-time comparison so correctness never rests on the map's string compare.
    return found && timingSafeEqual(found.hash, hash) ? found.principal : undefined;
  }
}

/**
 * The path that decides access: the matched route's pattern (so `/%761/jobs`, which the router
 * decodes to `/v1/jobs`, is treated as what it reaches), else the raw path.
 */
export function accessPath(request: FastifyRequest): string {
  return routePattern(request) ?? request.url.split('?', 1)[0] ?? '';
}

/** The API routes (`/v1…` and `/status`): keys, tenants and rate limits apply to these. */
export function isApiPath(request: FastifyRequest): boolean {
  const path = accessPath(request);
  return path === '/status' || path === '/v1' || path.startsWith('/v1/');
}

/** `/v1…` and `GET /status?job_id=` need a key; health, metrics, docs and the dashboard do not. */
export function needsKey(request: FastifyRequest): boolean {
  if (request.method === 'OPTIONS') return false;
  const path = accessPath(request);
  if (path === '/v1' || path.startsWith('/v1/')) return true;
  if (path === '/status') {
    const query = request.query as Record<string, unknown> | undefined;
    return query?.job_id !== undefined;
  }
  return false;
}

function unauthorized(detail: string, error?: 'invalid_request' | 'invalid_token'): ProblemError {
  return new ProblemError('unauthorized', detail, {
    headers: {
      'www-authenticate': error ? `${CHALLENGE}, error="${error}"` : CHALLENGE,
    },
  });
}

/** Reads `Authorization: Bearer <key>`; `undefined` when absent, `null` when malformed. */
function bearerToken(header: string | undefined): string | undefined | null {
  if (header === undefined) return undefined;
  const m = /^Bearer +([^\s]+) *$/i.exec(header);
  const token = m?.[1];
  return token && KEY_PATTERN.test(token) && token.length <= MAX_KEY_LENGTH ? token : null;
}

export function registerAuth(app: FastifyInstance, keys: KeyRing): void {
  app.decorateRequest('principal', undefined);
  if (keys.isOpen) return;
  // Callback style: authentication is synchronous, so no promise per request.
  app.addHook('onRequest', (request, _reply, done) => done(authenticate(request, keys)));
}

/** Sets the request's principal (and tenant) from its key; the 401 to answer, if any. */
function authenticate(request: FastifyRequest, keys: KeyRing): ProblemError | undefined {
  const token = bearerToken(request.headers.authorization);
  if (!needsKey(request)) {
    // A public API route (bare `/status`) counts against the key when one is sent.
    const principal = token ? keys.lookup(token) : undefined;
    if (principal && isApiPath(request)) request.principal = principal;
    return undefined;
  }
  if (token === undefined) {
    return unauthorized('This route needs an API key: send Authorization: Bearer <key>');
  }
  if (token === null) {
    return unauthorized(
      'The Authorization header is malformed: expected "Bearer <key>"',
      'invalid_request',
    );
  }
  const principal = keys.lookup(token);
  if (!principal) return unauthorized('The API key is not valid', 'invalid_token');
  request.principal = principal;
  request.tenant = principal.tenant;
  return undefined;
}
