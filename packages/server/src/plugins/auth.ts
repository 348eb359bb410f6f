/**
 * Authentication. With keys configured (see `access-config.ts`), every `/v1` route and
 * `GET /status?job_id=` need `Authorization: Bearer <key>`; the key's tenant becomes
 * `request.tenant`, so other tenants' jobs are invisible. Keys are looked up by their SHA-256 and
 * compared in constant time; they are never logged (the logger redacts `authorization`). Without
 * keys the server is in open mode: every request is the one public tenant.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { KEY_PATTERN, MAX_KEY_LENGTH, type ApiKeyEntry } from '../access-config.js';
import { routePattern } from '../http/route-pattern.js';
import { ProblemError } from '../errors.js';

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

const CHALLENGE = 'Bearer realm="vtrans"';

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
