import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, startTestServer, type TestApp } from './helpers/server.js';

const ORIGIN = 'https://app.example';
let plain: TestApp;
let cors: TestApp;
beforeAll(async () => {
  [plain, cors] = await Promise.all([buildTestApp(), buildTestApp({ corsOrigins: [ORIGIN] })]);
});

const SECURITY_HEADERS = {
  'content-security-policy': expect.stringContaining("default-src 'self'"),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

describe('every answer', () => {
  it('answers an unknown route with a 404 problem', async () => {
    const { app } = plain;
    const res = await app.inject({ method: 'GET', url: '/nope?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.json()).toEqual({
      type: 'https://vtrans.dev/problems/not_found',
      title: 'Not found',
      status: 404,
      detail: 'No route for GET /nope',
      code: 'not_found',
      instance: '/nope',
      request_id: res.headers['x-request-id'],
    });
  });

  it('answers a known path asked with the wrong method with 405 and the methods it takes', async () => {
    const { app } = plain;
    const cases: [string, string, string][] = [
      ['DELETE', '/v1/jobs', 'GET, HEAD, POST'],
      ['GET', '/v1/jobs/job_abc/cancel', 'POST'],
      ['PUT', '/status', 'GET, HEAD'],
      ['POST', '/v1/jobs/job_abc', 'GET, HEAD'],
    ];
    for (const [method, url, allow] of cases) {
      const res = await app.inject({ method: method as 'GET', url: `${url}?x=1` });
      expect(res.statusCode, `${method} ${url}`).toBe(405);
      expect(res.headers.allow).toBe(allow);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.json()).toMatchObject({
        code: 'method_not_allowed',
        status: 405,
        detail: `${url} does not take ${method}; it takes ${allow}`,
        instance: url,
      });
    }
    // A path no route has stays a 404, whatever the method.
    expect((await app.inject({ method: 'DELETE', url: '/v1/jobs/job_abc/nope' })).statusCode).toBe(
      404,
    );
  });

  it('echoes a well-formed X-Request-Id', async () => {
    const { app } = plain;
    const res = await app.inject({
      method: 'GET',
      url: '/v1/jobs/job_nope',
      headers: { 'x-request-id': 'trace-01:abc.DEF_9' },
    });
    expect(res.headers['x-request-id']).toBe('trace-01:abc.DEF_9');
    expect(res.json().request_id).toBe('trace-01:abc.DEF_9');
  });

  it.each([
    ['with a space', 'has space'],
    ['too long', 'x'.repeat(129)],
    ['with a newline-like character', 'a\u0001b'],
    ['empty', ''],
  ])('replaces an X-Request-Id %s with its own', async (_name, given) => {
    const { app } = plain;
    const res = await app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': given },
    });
    expect(res.headers['x-request-id']).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it('gives each request its own id', async () => {
    const { app } = plain;
    const a = await app.inject({ method: 'GET', url: '/healthz' });
    const b = await app.inject({ method: 'GET', url: '/healthz' });
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
  });

  it('carries the security headers on successes and problems alike', async () => {
    const { app } = plain;
    for (const res of [
      await app.inject({ method: 'GET', url: '/healthz' }),
      await app.inject({ method: 'POST', url: '/v1/jobs' }),
      await app.inject({ method: 'GET', url: '/nope' }),
    ]) {
      expect(res.headers).toMatchObject(SECURITY_HEADERS);
    }
  });
});

describe('health', () => {
  it('answers /healthz and /readyz', async () => {
    const { app } = plain;
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', store: 'memory' });
    expect(ready.headers['cache-control']).toBe('no-store');
  });

  it('fails /readyz with 503 once shutting down', async () => {
    const { app, context } = await buildTestApp();
    context.waiters.closeAll();
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('shutting_down');
  });

  it('answers new requests with a 503 shutting_down problem while draining', async () => {
    const { app, context } = await buildTestApp();
    context.waiters.closeAll();
    const res = await app.inject({ method: 'POST', url: '/v1/jobs' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.headers['retry-after']).toBe('1');
    expect(res.headers.connection).toBe('close');
    expect(res.json()).toMatchObject({ code: 'shutting_down', status: 503 });
  });

  it('fails /readyz with 503 store_unavailable when the store does not answer', async () => {
    const { app, context } = await buildTestApp();
    context.store.ping = () => Promise.reject(new Error('gone'));
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      code: 'store_unavailable',
      detail: 'The memory store does not answer',
    });
  });
});

describe('CORS', () => {
  it('gives an allowed origin Access-Control-Allow-Origin and the headers clients read', async () => {
    const { app } = cors;
    const res = await app.inject({ method: 'POST', url: '/v1/jobs', headers: { origin: ORIGIN } });
    expect(res.statusCode).toBe(201);
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
    const exposed = String(res.headers['access-control-expose-headers']).split(', ');
    for (const name of [
      'ETag',
      'Retry-After',
      'Preference-Applied',
      'X-Request-Id',
      'RateLimit',
      'RateLimit-Policy',
      'Location',
    ]) {
      expect(exposed).toContain(name);
    }
    expect(String(res.headers.vary)).toMatch(/\bOrigin\b/);
  });

  it('answers a preflight with 204 and what may be sent', async () => {
    const { app } = cors;
    const res = await app.inject({
      method: 'OPTIONS',
      url: '/v1/jobs/job_x',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'prefer, if-none-match',
      },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(res.headers['access-control-allow-methods']).toBe('GET, POST, OPTIONS');
    const allowed = String(res.headers['access-control-allow-headers']).split(', ');
    for (const name of [
      'Authorization',
      'Content-Type',
      'Idempotency-Key',
      'If-None-Match',
      'Prefer',
      'Last-Event-ID',
    ]) {
      expect(allowed).toContain(name);
    }
    expect(res.headers['access-control-max-age']).toBe('600');
  });

  it('gives a disallowed origin no CORS headers at all', async () => {
    const { app } = cors;
    const get = await app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { origin: 'https://evil.example' },
    });
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
    expect(get.headers['access-control-expose-headers']).toBeUndefined();
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/v1/jobs',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.headers['access-control-allow-methods']).toBeUndefined();
  });

  it('sends no CORS headers when no origins are configured', async () => {
    const { app } = plain;
    const res = await app.inject({ method: 'GET', url: '/healthz', headers: { origin: ORIGIN } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('allows any origin with *', async () => {
    const { app } = await buildTestApp({ corsOrigins: ['*'] });
    const res = await app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { origin: 'https://x.example' },
    });
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });

  it('keeps Vary: Origin next to Vary: Prefer on a long-poll answer', async () => {
    const { app } = cors;
    const job = (
      await app.inject({
        method: 'POST',
        url: '/v1/jobs',
        payload: { simulate: { duration_ms: 0 } },
      })
    ).json();
    const res = await app.inject({
      method: 'GET',
      url: `/v1/jobs/${job.id}`,
      headers: { origin: ORIGIN, prefer: 'wait=5' },
    });
    const vary = String(res.headers.vary).split(/\s*,\s*/);
    expect(vary).toContain('Origin');
    expect(vary).toContain('Prefer');
  });
});

describe('over real HTTP', () => {
  it('creates, reads, lists and cancels a job through the listening server', async () => {
    const srv = await startTestServer();
    const created = await fetch(`${srv.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ simulate: { duration_ms: 60_000 } }),
    });
    expect(created.status).toBe(201);
    const job = (await created.json()) as { id: string };
    expect(created.headers.get('location')).toBe(`/v1/jobs/${job.id}`);
    expect(created.headers.get('etag')).toBe('W/"1"');
    expect(created.headers.get('retry-after')).toBe('60');
    const read = await fetch(`${srv.url}${created.headers.get('location')}`);
    expect(read.status).toBe(200);
    expect(((await read.json()) as { id: string }).id).toBe(job.id);
    const listed = (await (await fetch(`${srv.url}/v1/jobs?limit=1`)).json()) as {
      data: { id: string }[];
    };
    expect(listed.data.map((j) => j.id)).toEqual([job.id]);
    const canceled = await fetch(`${srv.url}/v1/jobs/${job.id}/cancel`, { method: 'POST' });
    expect(canceled.status).toBe(200);
    expect(((await canceled.json()) as { status: string }).status).toBe('canceled');
    const status = await fetch(`${srv.url}/status?job_id=${job.id}`);
    expect(await status.text()).toBe('{"result":"error"}');
  });

  it('answers malformed JSON and a text/plain body over the wire as problems', async () => {
    const srv = await startTestServer();
    const bad = await fetch(`${srv.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
    expect(((await bad.json()) as { code: string }).code).toBe('invalid_json');
    const text = await fetch(`${srv.url}/v1/jobs`, { method: 'POST', body: 'hello' });
    expect(text.status).toBe(415);
    expect(((await text.json()) as { code: string }).code).toBe('unsupported_media_type');
  });
});
