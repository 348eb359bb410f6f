/**
 * Every route an app has registered, read from the app itself (Fastify's `printRoutes` tree), so a
 * test that walks them cannot forget a route somebody adds later.
 */
import type { FastifyInstance } from 'fastify';

export interface RegisteredRoute {
  method: string;
  /** Fastify's pattern, e.g. `/v1/jobs/:id`. */
  url: string;
}

/** Parses `app.printRoutes({ commonPrefix: false })`; call after `await app.ready()`. */
export function listRoutes(app: FastifyInstance): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = (m[1] ?? '').length / 4;
    stack.length = depth;
    stack.push(m[2] ?? '');
    const url = stack.join('').replace(/^\/\//, '/');
    for (const method of (m[3] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      routes.push({ method, url });
    }
  }
  return routes;
}
