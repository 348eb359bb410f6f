import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/store/memory-store.js';
import type { Store } from '../src/store/types.js';
import { buildTestApp, startTestServer } from './helpers/server.js';
import { sleep } from '@vtrans/test-support';

/** Sends raw bytes and collects everything the server answers until it closes the connection. */
function rawExchange(
  port: number,
  write: (socket: ReturnType<typeof connect>) => void | Promise<void>,
  timeoutMs = 5000,
): Promise<{ text: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${timeoutMs} ms: ${text}`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (text += d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closedAfterMs: Date.now() - started });
    });
    socket.on('connect', () => void write(socket));
  });
}

/** No stack frames, source paths or module names in an answer. */
function expectNoInternals(body: string): void {
  expect(body).not.toMatch(/\bat [\w.<>]+ \(/);
  expect(body).not.toMatch(/\/work\/|node_modules|\.ts:\d+|\.js:\d+|file:\/\//);
  expect(body).not.toMatch(/FST_ERR|ERR_[A-Z_]+/);
}

const SECURITY_HEADERS = [
  'x-request-id',
  'content-security-policy',
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
];

describe('request ids', () => {
  it('echoes a well-formed X-Request-Id and replaces a malformed one', async () => {
    const { app } = await buildTestApp();
    const mine = await app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'client-42.abc:1' },
    });
    expect(mine.headers['x-request-id']).toBe('client-42.abc:1');
    for (const bad of ['has spaces in it', 'x'.repeat(129), 'semi;colon', '<script>', '']) {
      const res = await app.inject({
        method: 'GET',
        url: '/v1/jobs/job_missing',
        headers: { 'x-request-id': bad },
      });
      expect(res.headers['x-request-id']).toMatch(/^req_[0-9a-f]{32}$/);
      expect(res.json()).toMatchObject({ request_id: res.headers['x-request-id'] });
    }
  });
});

describe('security headers and problem bodies', () => {
  it('every kind of answer carries the security headers and no internals', async () => {
    const { app } = await buildTestApp({
      apiKeys: [{ key: 'hardening-key-1', tenant: 'acme', tier: 'free' }],
      rateLimits: [{ name: 'free', limit: 1, windowS: 60 }],
      bodyLimitBytes: 1024,
    });
    const auth = { authorization: 'Bearer hardening-key-1' };
    const answers = [
      await app.inject({ method: 'GET', url: '/healthz' }),
      await app.inject({ method: 'GET', url: '/no/such/route' }),
      await app.inject({ method: 'GET', url: '/v1/jobs' }),
      await app.inject({ method: 'GET', url: '/v1/jobs/%E0%A4%A' }),
      await app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: '{"source_url": "https://x", ',
      }),
      await app.inject({ method: 'GET', url: '/v1/jobs', headers: auth }),
      await app.inject({ method: 'DELETE', url: '/v1/jobs' }),
    ];
    expect(answers.map((r) => r.statusCode)).toEqual([200, 404, 401, 400, 400, 429, 401]);
    for (const res of answers) {
      for (const header of SECURITY_HEADERS) expect(res.headers[header], header).toBeDefined();
      expectNoInternals(res.body);
      if (res.statusCode >= 400)
        expect(res.headers['content-type']).toBe('application/problem+json');
    }
  });

  it('answers a body over the limit with 413 problem+json', async () => {
    const { app } = await buildTestApp({ bodyLimitBytes: 1024 });
    const res = await app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ source_url: `https://example.com/${'a'.repeat(2000)}` }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'payload_too_large' });
    expectNoInternals(res.body);
  });

  it('hides a store failure behind 500 internal_error without its message or stack', async () => {
    const inner = new MemoryStore();
    const broken = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'listJobs') {
          return () =>
            Promise.reject(
              new Error('disk exploded at /work/main/packages/server/src/secret.ts:12'),
            );
        }
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    }) as Store;
    const srv = await startTestServer({ store: broken });
    const res = await srv.app.inject({ method: 'GET', url: '/v1/jobs' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ code: 'internal_error' });
    expect(res.body).not.toContain('disk exploded');
    expectNoInternals(res.body);
  });
});

describe('connection limits', () => {
  it('answers headers over 16 KiB with 431 problem+json', async () => {
    const srv = await startTestServer();
    const res = await fetch(`${srv.url}/healthz`, { headers: { 'x-padding': 'a'.repeat(20_000) } });
    expect(res.status).toBe(431);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = await res.text();
    expect(JSON.parse(body)).toMatchObject({
      code: 'request_header_fields_too_large',
      status: 431,
    });
    expectNoInternals(body);
    const ok = await fetch(`${srv.url}/healthz`, { headers: { 'x-padding': 'a'.repeat(8_000) } });
    expect(ok.status).toBe(200);
  });

  it('cuts a client that sends its headers too slowly (slow loris)', async () => {
    const srv = await startTestServer({ headersTimeoutMs: 300 });
    const { text, closedAfterMs } = await rawExchange(srv.port, async (socket) => {
      socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n');
      for (let i = 0; i < 40 && !socket.destroyed; i++) {
        await sleep(100);
        if (!socket.destroyed) socket.write(`X-Slow-${i}: 1\r\n`);
      }
    });
    expect(closedAfterMs).toBeLessThan(3000);
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(text).toContain('application/problem+json');
    expectNoInternals(text);
  });

  it('still holds a long poll for longer than the header timeout', async () => {
    const srv = await startTestServer({ headersTimeoutMs: 300 });
    const created = await fetch(`${srv.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ simulate: { duration_ms: 3_600_000 } }),
    });
    const { id } = (await created.json()) as { id: string };
    const started = Date.now();
    const held = await fetch(`${srv.url}/v1/jobs/${id}`, { headers: { prefer: 'wait=1' } });
    expect(held.status).toBe(200);
    expect(held.headers.get('preference-applied')).toBe('wait=1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('answers malformed HTTP with 400 problem+json and closes', async () => {
    const srv = await startTestServer();
    const { text } = await rawExchange(srv.port, (socket) => {
      socket.write('THIS IS NOT HTTP\r\n\r\n');
    });
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(text).toContain('"code":"invalid_request"');
    expectNoInternals(text);
  });
});
