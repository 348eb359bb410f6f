/**
 * The matched route's pattern (`/v1/jobs/:id`), read once per request. Fastify builds a fresh
 * `request.routeOptions` object on every access, and auth, the rate limiter and the metrics each
 * need the pattern; the first reader keeps it on the request.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** Cached by {@link routePattern}; `null` until first read, `''` when no route matched. */
    matchedRoute: string | null;
  }
}

export function registerRoutePattern(app: FastifyInstance): void {
  app.decorateRequest('matchedRoute', null);
}

/** The pattern of the route the request matched, or `undefined` when none did (a 404). */
export function routePattern(request: FastifyRequest): string | undefined {
  request.matchedRoute ??= request.routeOptions.url ?? '';
  return request.matchedRoute === '' ? undefined : request.matchedRoute;
}
