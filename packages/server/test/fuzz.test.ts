/**
 * Bad input at every route, through `app.inject()`: generated bodies, headers, query strings, ids,
 * cursors, `Prefer` values and Idempotency-Keys. Every answer must be a well-formed 2xx/3xx/4xx
 * (problem+json with a `code` on errors) — never a 5xx, a crash or a hang — and the server must
 * stay healthy, with `Object.prototype` untouched. The routes come from the app itself, so a new
 * route is fuzzed without editing this file.
 */
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.js';
import { startTestServer } from './helpers/server.js';

interface Route {
  path: string;
  methods: string[];
}

/** Reads the route table from `printRoutes()`: one line a node, full paths built from the tree. */
function routesOf(tree: string): Route[] {
  const routes: Route[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (.*?) \(([A-Z, ]+)\)/.exec(line);
    if (!m) continue;
    const depth = (m[1] ?? '').length / 4;
    stack.length = depth;
    const path =
      (stack[depth - 1] ?? '') +
      (depth > 0 && !(m[2] ?? '').startsWith('/') ? '/' : '') +
      (m[2] ?? '');
    stack[depth] = path;
    routes.push({ path: path.replace(/\/\/+/g, '/'), methods: (m[3] ?? '').split(', ') });
  }
  return routes;
}

/** `FUZZ_SEED` / `FUZZ_RUNS` explore further than the fixed run `npm test` repeats. */
const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261128);
const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const stats = new Map<string, number>();

const protoKeysBefore = Object.getOwnPropertyNames(Object.prototype).sort();

const visible = (maxLength: number) => fc.string({ unit: 'grapheme-ascii', maxLength });
const anyText = (maxLength: number) =>
  fc.oneof(visible(maxLength), fc.string({ unit: 'binary', maxLength }));

function encode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return escape(text); // lone surrogates
  }
}

const NASTY = [
  '',
  '..',
  '../../etc/passwd',
  '%2e%2e%2f%2e%2e%2f',
  '%',
  '%ZZ',
  '%00',
  '%C0%AE',
  '%FF%FE',
  '__proto__',
  'constructor',
  'prototype',
  'job_' + 'a'.repeat(130),
  'x'.repeat(2000),
  '\u0000',
  '😀',
  '1e400',
  '-0',
  'NaN',
  'null',
  '[]',
  '{}',
];

interface Generated {
  route: Route;
  method: string;
  params: string[];
  rawSegments: boolean;
  query: [string, string][];
  headers: Record<string, string>;
  body: string | undefined;
}

function bodies(): fc.Arbitrary<string | undefined> {
  const deep = fc.integer({ min: 1, max: 200_000 }).map((n) => '['.repeat(n) + ']'.repeat(n));
  const deepObject = fc
    .integer({ min: 1, max: 5000 })
    .map((n) => '{"simulate":'.repeat(n) + '{}' + '}'.repeat(n));
  const jobLike = fc.record(
    {
      source_url: fc.oneof(anyText(40), fc.jsonValue()),
      target_language: fc.oneof(fc.constantFrom('es', 'pt-BR', 'zz-ZZZZZZZZZ', ''), fc.jsonValue()),
      callback_events: fc.oneof(
        fc.array(fc.constantFrom('job.updated', 'job.completed', 'x')),
        fc.jsonValue(),
      ),
      simulate: fc.oneof(
        fc.record(
          {
            duration_ms: fc.oneof(
              fc.integer(),
              fc.double(),
              fc.constantFrom(0, 86_400_000, 86_400_001, -1),
              fc.jsonValue(),
            ),
            outcome: fc.oneof(
              fc.constantFrom('completed', 'error', 'canceled', 'pending'),
              fc.jsonValue(),
            ),
            jitter: fc.oneof(fc.double(), fc.jsonValue()),
          },
          { requiredKeys: [] },
        ),
        fc.jsonValue(),
      ),
    },
    { requiredKeys: [] },
  );
  return fc.oneof(
    fc.constant(undefined),
    jobLike.map((v) => JSON.stringify(v)),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    anyText(200),
    deep,
    deepObject,
    fc.constantFrom(
      '{"__proto__":{"polluted":"yes"}}',
      '{"constructor":{"prototype":{"polluted":"yes"}}}',
      '{"simulate":{"__proto__":{"polluted":"yes"}}}',
      '{"simulate":{"duration_ms":1e400}}',
      '{"simulate":{"duration_ms":-1e400}}',
      '{"simulate":{"duration_ms":9007199254740993}}',
      '{"simulate":{"duration_ms":1' + '0'.repeat(5000) + '}}',
      '{"simulate":{"jitter":1e-400}}',
      '{"source_url":"\\ud800"}',
      '{"a":1,"a":2}',
      '{',
      'null',
      '[]',
      '"string"',
      '\ufeff{}',
      '{"source_url":"' + 'x'.repeat(900_000) + '"}',
    ),
  );
}

function headers(): fc.Arbitrary<Record<string, string>> {
  return fc.record(
    {
      prefer: fc.oneof(
        fc.constantFrom(
          'wait=0',
          'wait=1',
          'wait=50',
          'wait=99999999999',
          'wait=-1',
          'wait="2"',
          'respond-async, wait=1',
          'wait',
          'wait=1.5',
          'wait=1;x',
          '',
        ),
        visible(60),
      ),
      'if-none-match': fc.oneof(
        fc.constantFrom('*', 'W/"1"', '"2"', 'W/"b-x"', '"', 'W/', ',,,'),
        visible(80),
      ),
      'idempotency-key': fc.oneof(
        visible(300),
        fc.constantFrom('', ' ', 'k'.repeat(256), '__proto__'),
      ),
      'last-event-id': fc.oneof(
        fc.constantFrom('0', '-1', '1e400', '9999999999999-0', '1-1-1', ' '),
        visible(80),
      ),
      'content-type': fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'application/json; charset=utf-16',
        'application/problem+json',
        'text/plain',
        'multipart/form-data; boundary=x',
        'application/x-www-form-urlencoded',
        'application/json;;;',
        '*/*',
      ),
      'x-request-id': visible(200),
      accept: fc.constantFrom('*/*', 'text/event-stream', 'application/json', 'text/html', ''),
      'accept-encoding': fc.constantFrom('gzip', 'br', 'identity;q=0', '*'),
      origin: fc.constantFrom('https://evil.example', 'null', 'http://localhost:3000'),
      authorization: fc.oneof(
        fc.constantFrom('Bearer ', 'Basic x', 'Bearer ' + 'k'.repeat(2000)),
        visible(60),
      ),
    },
    { requiredKeys: [] },
  );
}

describe('the server under generated bad input', () => {
  let srv: RunningServer;
  let routes: Route[];
  let pendingId: string;
  let doneId: string;
  /** Requests that may be held (long polls, streams): checked once shutdown answers them. */
  const held: { label: string; answer: Promise<LightMyRequestResponse> }[] = [];

  beforeAll(async () => {
    srv = await startTestServer({ seed: 'fuzz' });
    routes = routesOf(srv.app.printRoutes({ commonPrefix: false }));
    const create = async (simulate: object) =>
      (await srv.app.inject({ method: 'POST', url: '/v1/jobs', payload: { simulate } })).json<{
        id: string;
      }>().id;
    pendingId = await create({ duration_ms: 3_600_000 });
    doneId = await create({ duration_ms: 0 });
  });

  afterAll(async () => {
    await srv?.close();
  });

  it('finds the routes from the app itself', () => {
    const paths = routes.map((r) => r.path);
    for (const p of [
      '/status',
      '/v1/jobs',
      '/v1/jobs/:id',
      '/v1/jobs/:id/cancel',
      '/v1/jobs/:id/events',
      '/v1/events',
      '/healthz',
    ]) {
      expect(paths).toContain(p);
    }
  });

  function isHoldable(path: string, method: string): boolean {
    return method === 'GET' && (path.startsWith('/v1/jobs') || path.startsWith('/v1/events'));
  }

  function check(label: string, res: LightMyRequestResponse, method: string): void {
    const where = `${label} → ${res.statusCode} ${res.body.slice(0, 300)}`;
    const bucket = `${Math.floor(res.statusCode / 100)}xx`;
    stats.set(bucket, (stats.get(bucket) ?? 0) + 1);
    expect(res.statusCode, where).toBeGreaterThanOrEqual(200);
    expect(res.statusCode, where).toBeLessThan(500);
    if (res.statusCode >= 400 && method !== 'HEAD') {
      expect(res.headers['content-type'], where).toMatch(/^application\/problem\+json/);
      const problem = JSON.parse(res.body) as { code?: unknown; status?: unknown };
      expect(typeof problem.code, where).toBe('string');
      expect(problem.status, where).toBe(res.statusCode);
    }
  }

  it(
    'answers every generated request with a well-formed 2xx/3xx/4xx',
    async () => {
      const generated: fc.Arbitrary<Generated> = fc.constantFrom(...routes).chain((route) =>
        fc.record({
          route: fc.constant(route),
          method: fc.oneof(
            { weight: 5, arbitrary: fc.constantFrom(...route.methods) },
            {
              weight: 1,
              arbitrary: fc.constantFrom(
                'GET',
                'POST',
                'PUT',
                'DELETE',
                'PATCH',
                'OPTIONS',
                'HEAD',
              ),
            },
          ),
          params: fc.array(
            fc.oneof(fc.constantFrom(pendingId, doneId), fc.constantFrom(...NASTY), anyText(150)),
            { minLength: 3, maxLength: 3 },
          ),
          rawSegments: fc.boolean(),
          query: fc.array(
            fc.tuple(
              fc.oneof(
                fc.constantFrom(
                  'wait',
                  'ids',
                  'cursor',
                  'limit',
                  'status',
                  'job_id',
                  '__proto__',
                  'constructor[prototype][polluted]',
                  'a[b][c]',
                  'wait[]',
                ),
                visible(20),
              ),
              fc.oneof(
                fc.constantFrom(
                  '0',
                  '1',
                  '50',
                  '-1',
                  '1e400',
                  '',
                  'pending',
                  'canceled',
                  'x,y,,z',
                  `${pendingId},${doneId}`,
                  Buffer.from('[1e400,"x"]').toString('base64url'),
                  Buffer.from('[0,"job_z"]').toString('base64url'),
                  Buffer.from('{"__proto__":1}').toString('base64url'),
                ),
                fc.constantFrom(...NASTY),
                anyText(100),
              ),
            ),
            { maxLength: 5 },
          ),
          headers: headers(),
          body: bodies(),
        }),
      );

      await fc.assert(
        fc.asyncProperty(generated, async (g) => {
          let i = 0;
          const path = g.route.path.replace(/:[a-z_]+|\*/gi, () => {
            const value = g.params[i++] ?? '';
            return g.rawSegments ? value.replace(/[/?#\s]/g, '_') : encode(value);
          });
          const qs = g.query
            .map(
              ([k, v]) => `${encode(k)}=${g.rawSegments ? v.replace(/[#&\s]/g, '_') : encode(v)}`,
            )
            .join('&');
          const url = qs ? `${path}?${qs}` : path;
          const label = `${g.method} ${url.slice(0, 200)} ${JSON.stringify(g.headers).slice(0, 300)} body=${(g.body ?? '').slice(0, 100)}`;
          const answer = srv.app.inject({
            method: g.method as 'GET',
            url,
            headers: g.headers,
            ...(g.body !== undefined && g.method !== 'GET' && g.method !== 'HEAD'
              ? { payload: g.body }
              : {}),
          });
          if (isHoldable(path, g.method)) {
            const quick = await Promise.race([
              answer,
              new Promise<undefined>((r) => setTimeout(r, 50)),
            ]);
            if (quick) check(label, quick, g.method);
            else held.push({ label, answer });
            return;
          }
          const res = await Promise.race([
            answer,
            new Promise<never>((_, reject) =>
              setTimeout(() => reject(new Error(`hung: ${label}`)), 5000),
            ),
          ]);
          check(label, res, g.method);
        }),
        { numRuns: FUZZ_RUNS, seed: FUZZ_SEED, endOnFailure: true },
      );
      // The generator reaches the routes' real work, not only their validation.
      expect(stats.get('2xx') ?? 0).toBeGreaterThan(FUZZ_RUNS / 20);
      expect(stats.get('4xx') ?? 0).toBeGreaterThan(FUZZ_RUNS / 4);
      if (process.env.FUZZ_RUNS) console.log({ ...Object.fromEntries(stats), held: held.length });
    },
    20_000 + FUZZ_RUNS * 40,
  );

  it('targeted shapes: deep nesting, huge numbers, prototype-pollution keys', async () => {
    const cases: {
      url: string;
      method: 'POST' | 'GET';
      payload?: string;
      headers?: Record<string, string>;
    }[] = [
      { method: 'POST', url: '/v1/jobs', payload: '['.repeat(500_000) + ']'.repeat(500_000) },
      {
        method: 'POST',
        url: '/v1/jobs',
        payload: '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000),
      },
      { method: 'POST', url: '/v1/jobs', payload: '{"__proto__":{"polluted":"yes"}}' },
      {
        method: 'POST',
        url: '/v1/jobs',
        payload: '{"constructor":{"prototype":{"polluted":"yes"}}}',
      },
      {
        method: 'POST',
        url: '/v1/jobs',
        payload: '{"simulate":{"constructor":{"prototype":{"polluted":"yes"}}}}',
      },
      { method: 'POST', url: '/v1/jobs', payload: '{"simulate":{"duration_ms":1e400}}' },
      {
        method: 'POST',
        url: '/v1/jobs',
        payload: '{"simulate":{"duration_ms":123456789012345678901234567890}}',
      },
      {
        method: 'GET',
        url: '/v1/jobs?__proto__[polluted]=yes&constructor[prototype][polluted]=yes',
      },
      { method: 'GET', url: `/v1/jobs?cursor=${Buffer.from('[1e400,"x"]').toString('base64url')}` },
      {
        method: 'GET',
        url: `/v1/jobs?cursor=${Buffer.from('{"__proto__":{"polluted":1}}').toString('base64url')}`,
      },
      {
        method: 'GET',
        url: `/v1/jobs?ids=${Array.from({ length: 101 }, (_, i) => `j${i}`).join(',')}`,
      },
      { method: 'GET', url: '/v1/jobs?limit=1e400' },
      { method: 'GET', url: '/v1/jobs/__proto__' },
      { method: 'GET', url: '/v1/jobs/constructor/events' },
      {
        method: 'POST',
        url: '/v1/jobs',
        payload: '{}',
        headers: { 'idempotency-key': '__proto__' },
      },
      {
        method: 'POST',
        url: '/v1/jobs',
        payload: '{"target_language":"es"}',
        headers: { 'idempotency-key': '__proto__' },
      },
    ];
    for (const c of cases) {
      const res = await srv.app.inject({
        method: c.method,
        url: c.url,
        headers: { 'content-type': 'application/json', ...c.headers },
        ...(c.payload === undefined ? {} : { payload: c.payload }),
      });
      check(`${c.method} ${c.url.slice(0, 80)} ${c.payload?.slice(0, 60) ?? ''}`, res, c.method);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('stays healthy, unpolluted, and answers every held request by shutdown', async () => {
    expect((await srv.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const job = await srv.app.inject({ method: 'GET', url: `/v1/jobs/${pendingId}` });
    expect(job.statusCode).toBe(200);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoKeysBefore);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await srv.close();
    for (const h of held) {
      const res = await Promise.race([
        h.answer,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`hung past shutdown: ${h.label}`)), 5000),
        ),
      ]);
      check(h.label, res, 'GET');
    }
  });
});
