/**
 * Headers every answer carries: the request id, security headers (a CSP the dashboard satisfies
 * without inline script), and CORS for the configured origins with the headers clients read.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifySchema } from 'fastify';

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export const CORS_EXPOSED_HEADERS = [
  'ETag',
  'Retry-After',
  'Preference-Applied',
  'X-Request-Id',
  'RateLimit',
  'RateLimit-Policy',
  'Location',
  'Idempotent-Replayed',
];
const CORS_ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'Idempotency-Key',
  'If-None-Match',
  'Prefer',
  'Last-Event-ID',
  'X-Request-Id',
];
const CORS_MAX_AGE_S = 600;
/** @fastify/swagger leaves routes with `hide` out of the API description. */
const HIDDEN_FROM_DOCS = { hide: true } as FastifySchema;

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

/** Accepts a caller's `X-Request-Id` only when well-formed; otherwise makes one. */
export function requestIdFrom(
  header: string | string[] | undefined,
  fallback: () => string = newRequestId,
): string {
  return typeof header === 'string' && REQUEST_ID_PATTERN.test(header) ? header : fallback();
}

/**
 * Request ids: a random prefix drawn once per process and a counter, as 32 hex digits. Unique
 * across restarts and instances (80 random bits), cheaper than random bytes per request; an id
 * names a request in the logs and is not a secret.
 */
const ID_PREFIX = randomBytes(10).toString('hex');
let idCounter = 0;

/** `req_` and 32 hex digits. */
export function newRequestId(): string {
  idCounter += 1;
  return `req_${ID_PREFIX}${idCounter.toString(16).padStart(12, '0')}`;
}

export function registerHttpHeaders(app: FastifyInstance, corsOrigins: readonly string[]): void {
  const anyOrigin = corsOrigins.includes('*');
  const allowed = new Set(corsOrigins);
  const exposed = CORS_EXPOSED_HEADERS.join(', ');
  // Callback style, not async: no promise per request on the hottest path.
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', String(request.id));
    void reply.headers(SECURITY_HEADERS);
    const origin = request.headers.origin;
    if (origin && (anyOrigin || allowed.has(origin))) {
      void reply.header('access-control-allow-origin', anyOrigin ? '*' : origin);
      void reply.header('access-control-expose-headers', exposed);
      if (!anyOrigin) void reply.header('vary', 'Origin');
    }
    done();
  });
  // Preflight for any path; the onRequest hook above adds the origin when it is allowed.
  app.options('*', { schema: HIDDEN_FROM_DOCS }, async (request, reply) => {
    const origin = request.headers.origin;
    if (origin && (anyOrigin || allowed.has(origin))) {
      void reply.header('access-control-allow-methods', 'GET, POST, OPTIONS');
      void reply.header('access-control-allow-headers', CORS_ALLOWED_HEADERS.join(', '));
      void reply.header('access-control-max-age', String(CORS_MAX_AGE_S));
    }
    return reply.code(204).send();
  });
}
