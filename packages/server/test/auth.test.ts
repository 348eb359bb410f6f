import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, resolveConfig } from '../src/config.js';
import { isLoopbackHost, parseApiKeys } from '../src/access-config.js';
import { KeyRing } from '../src/plugins/auth.js';
import { listRoutes } from './helpers/routes.js';
import { buildTestApp, createManualClock, startTestServer } from './helpers/server.js';
import { runServerToExit, tempDir } from '@vtrans/test-support';

const ALPHA = 'alpha-key-0123456789';
const ALPHA_2 = 'alpha-key-second-0001';
const BETA = 'beta-key-9876543210';
const API_KEYS = [
  { key: ALPHA, tenant: 'alpha', tier: 'free' },
  { key: ALPHA_2, tenant: 'alpha', tier: 'pro' },
  { key: BETA, tenant: 'beta', tier: 'pro' },
];
/** Only alpha's job carries this; it must never show up in beta's answers. */
const MARKER = 'https://alpha.example/confidential-source.mp4';
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function createAlphaJob(app: FastifyInstance, durationMs = 3_600_000): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/jobs',
    headers: { ...bearer(ALPHA), 'content-type': 'application/json' },
    payload: { source_url: MARKER, simulate: { duration_ms: durationMs } },
  });
  expect(res.statusCode).toBe(201);
  return res.json<{ id: string }>().id;
}

describe('API key configuration', () => {
  it('parses key:tenant[:tier] entries, the tier defaulting to free', () => {
    expect(parseApiKeys('VT_API_KEYS', 'k1abc:acme, k2abc:globex:pro')).toEqual([
      { key: 'k1abc', tenant: 'acme', tier: 'free' },
      { key: 'k2abc', tenant: 'globex', tier: 'pro' },
    ]);
  });

  it('reads a keys file with comments and blank lines', () => {
    const dir = tempDir();
    const file = join(dir, 'keys.txt');
    writeFileSync(file, '# team keys\nk1abc:acme\n\n  k2abc:globex:pro  # the big one\n');
    const config = loadConfig({ VT_API_KEYS_FILE: file }, dir);
    expect(config.apiKeysFromFile).toEqual([
      { key: 'k1abc', tenant: 'acme', tier: 'free' },
      { key: 'k2abc', tenant: 'globex', tier: 'pro' },
    ]);
  });

  it.each([
    ['a key without a tenant', 'secretkey123'],
    ['an empty tenant', 'secretkey123:'],
    ['a key with a space', 'secret key:acme'],
    ['too many parts', 'secretkey123:acme:pro:x'],
    ['an unknown tier', 'secretkey123:acme:gold'],
  ])('refuses %s with one line that does not repeat the key', (_name, raw) => {
    let error: unknown;
    try {
      loadConfig({ VT_API_KEYS: raw }, tempDir());
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).not.toContain('secret');
    expect(message).toMatch(/VT_API_KEYS|VT_RATE_LIMITS/);
  });

  it('refuses an unreadable keys file with one line', () => {
    expect(() => loadConfig({ VT_API_KEYS_FILE: '/nonexistent/keys.txt' }, tempDir())).toThrow(
      /^Invalid VT_API_KEYS_FILE="\/nonexistent\/keys.txt": the file cannot be read \(ENOENT\)$/,
    );
  });

  it('refuses one key given to two tenants', () => {
    expect(() =>
      resolveConfig({
        apiKeys: [
          { key: 'same-key-1', tenant: 'a', tier: 'free' },
          { key: 'same-key-1', tenant: 'b', tier: 'free' },
        ],
      }),
    ).toThrow(/two tenants/);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
    ['example.com', false],
    ['128.0.0.1', false],
  ])('treats %s as loopback: %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });

  it('refuses open mode on a non-loopback address, and allows it with keys', () => {
    expect(() => resolveConfig({ host: '0.0.0.0' })).toThrow(
      /^Invalid HOST="0\.0\.0\.0": open mode .* loopback/,
    );
    expect(resolveConfig({ host: '0.0.0.0', apiKeys: API_KEYS }).host).toBe('0.0.0.0');
  });

  it('the server process refuses open mode on 0.0.0.0 with one line and exit code 2', async () => {
    const exit = await runServerToExit({ HOST: '0.0.0.0' });
    expect(exit.code).toBe(2);
    const lines = exit.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^vtrans: Invalid HOST="0\.0\.0\.0": open mode/);
  });

  it('looks keys up by hash and never exposes the key in the principal', () => {
    const ring = new KeyRing(API_KEYS);
    const principal = ring.lookup(BETA);
    expect(principal).toEqual({
      keyId: expect.stringMatching(/^key_[0-9a-f]{12}$/),
      tenant: 'beta',
      tier: 'pro',
    });
    expect(JSON.stringify(principal)).not.toContain(BETA);
    expect(ring.lookup(`${BETA}x`)).toBeUndefined();
    expect(ring.lookup('')).toBeUndefined();
  });
});

describe('authentication', () => {
  it('answers every /v1 route without a key with 401 problem+json and a Bearer challenge', async () => {
    const { app } = await buildTestApp({ apiKeys: API_KEYS });
    const v1 = listRoutes(app).filter((r) => r.url.startsWith('/v1') && r.method !== 'HEAD');
    expect(v1.length).toBeGreaterThanOrEqual(6);
    for (const route of v1) {
      const res = await app.inject({
        method: route.method as 'GET' | 'POST',
        url: route.url.replace(/:[a-z_]+/g, 'job_aaaaaaaaaaaaaaaaaaaa'),
      });
      expect(res.statusCode, `${route.method} ${route.url}`).toBe(401);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="vtrans"');
      expect(res.json()).toMatchObject({ code: 'unauthorized', status: 401 });
    }
  });

  it('tells a malformed header, an unknown key and a missing key apart', async () => {
    const { app } = await buildTestApp({ apiKeys: API_KEYS });
    const get = (headers: Record<string, string>) =>
      app.inject({ method: 'GET', url: '/v1/jobs', headers });
    const missing = await get({});
    const malformed = await get({ authorization: `Basic ${ALPHA}` });
    const spaces = await get({ authorization: 'Bearer two words' });
    const wrong = await get(bearer('not-a-configured-key'));
    for (const res of [missing, malformed, spaces, wrong]) expect(res.statusCode).toBe(401);
    expect(malformed.json().detail).toMatch(/malformed/);
    expect(spaces.json().detail).toMatch(/malformed/);
    expect(malformed.headers['www-authenticate']).toBe(
      'Bearer realm="vtrans", error="invalid_request"',
    );
    expect(wrong.json().detail).toMatch(/not valid/);
    expect(wrong.headers['www-authenticate']).toBe('Bearer realm="vtrans", error="invalid_token"');
    const details = new Set([missing, malformed, wrong].map((r) => r.json().detail as string));
    expect(details.size).toBe(3);
    for (const res of [missing, malformed, wrong]) expect(res.body).not.toContain(ALPHA);
    // The router decodes %76 to "v": the route reached decides, not the raw path.
    const encoded = await app.inject({ method: 'GET', url: '/%761/jobs' });
    expect(encoded.statusCode).toBe(401);
    const ok = await get({ authorization: `bearer ${ALPHA}` });
    expect(ok.statusCode).toBe(200);
  });

  it('keeps bare GET /status, health, docs and metrics public; ?job_id= needs the key', async () => {
    const { app } = await buildTestApp({ apiKeys: API_KEYS });
    for (const url of ['/status', '/healthz', '/readyz', '/openapi.json', '/metrics']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
    }
    const id = await createAlphaJob(app);
    expect((await app.inject({ method: 'GET', url: `/status?job_id=${id}` })).statusCode).toBe(401);
    const own = await app.inject({
      method: 'GET',
      url: `/status?job_id=${id}`,
      headers: bearer(ALPHA),
    });
    expect(own.statusCode).toBe(200);
    expect(own.json()).toEqual({ result: 'pending' });
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/v1/jobs',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    expect(preflight.statusCode).toBe(204);
  });

  it("shares a tenant's jobs between its keys", async () => {
    const { app } = await buildTestApp({ apiKeys: API_KEYS });
    const id = await createAlphaJob(app);
    const res = await app.inject({
      method: 'GET',
      url: `/v1/jobs/${id}`,
      headers: bearer(ALPHA_2),
    });
    expect(res.statusCode).toBe(200);
  });

  it('works in open mode without any key', async () => {
    const { app } = await buildTestApp();
    const res = await app.inject({ method: 'GET', url: '/v1/jobs' });
    expect(res.statusCode).toBe(200);
  });
});

describe('key secrecy', () => {
  it('never writes a key to the log, even at trace level and on failures', async () => {
    let output = '';
    const logger = pino({ level: 'trace' }, { write: (line: string) => void (output += line) });
    const srv = await startTestServer({ apiKeys: API_KEYS, logger });
    await fetch(`${srv.url}/v1/jobs`, { headers: bearer(ALPHA) });
    await fetch(`${srv.url}/v1/jobs`, { headers: bearer(`${ALPHA}-wrong`) });
    await fetch(`${srv.url}/v1/jobs`, { headers: { authorization: `Basic ${BETA}` } });
    await fetch(`${srv.url}/v1/jobs`, {
      method: 'POST',
      headers: { ...bearer(BETA), 'content-type': 'application/json' },
      body: '{"broken',
    });
    await srv.close();
    // Every request was logged (its access line), the refused ones too.
    expect(output).toContain('"msg":"GET /v1/jobs 200 ');
    expect(output).toContain('"msg":"GET /v1/jobs 401 ');
    for (const key of [ALPHA, BETA]) expect(output).not.toContain(key);
  });
});

describe('tenant isolation', () => {
  it('every /v1 route answers another tenant 404 or leaves its jobs out', async () => {
    const clock = createManualClock(Date.now());
    const srv = await startTestServer({ apiKeys: API_KEYS, clock });
    const { app } = srv;
    const id = await createAlphaJob(app);
    const routes = listRoutes(app).filter(
      (r) => r.url.startsWith('/v1') && r.method !== 'HEAD' && r.method !== 'OPTIONS',
    );
    const checked: string[] = [];
    for (const route of routes) {
      const name = `${route.method} ${route.url}`;
      const url = route.url.replace(/:[a-z_]+/g, id);
      if (route.url.includes(':')) {
        const res = await app.inject({
          method: route.method as 'GET' | 'POST',
          url,
          headers: bearer(BETA),
          ...(route.method === 'POST' ? { payload: {} } : {}),
        });
        expect(res.statusCode, name).toBe(404);
        expect(res.body, name).not.toContain(MARKER);
        checked.push(name);
      } else if (route.method === 'GET' && route.url.endsWith('/events')) {
        // A stream: beta's must stay silent while alpha's sees alpha's new job.
        const read = async (key: string) => {
          const controller = new AbortController();
          const res = await fetch(`${srv.url}${url}`, {
            headers: { ...bearer(key), 'last-event-id': '0-0' },
            signal: controller.signal,
          });
          expect(res.status, name).toBe(200);
          const reader = res.body!.getReader();
          let text = '';
          const pump = (async () => {
            try {
              for (;;) {
                const { value, done } = await reader.read();
                if (done) break;
                text += Buffer.from(value).toString('utf8');
              }
            } catch {
              // aborted
            }
          })();
          return {
            stop: async () => {
              controller.abort();
              await pump;
              return text;
            },
          };
        };
        const betaStream = await read(BETA);
        const alphaStream = await read(ALPHA);
        await createAlphaJob(app);
        await new Promise((r) => setTimeout(r, 150));
        const betaText = await betaStream.stop();
        const alphaText = await alphaStream.stop();
        expect(alphaText, name).toContain(MARKER);
        expect(betaText, name).not.toContain(MARKER);
        expect(betaText, name).not.toContain(id);
        checked.push(name);
      } else if (route.method === 'GET') {
        const res = await app.inject({ method: 'GET', url, headers: bearer(BETA) });
        expect(res.statusCode, name).toBeLessThan(400);
        expect(res.body, name).not.toContain(MARKER);
        expect(res.body, name).not.toContain(id);
        checked.push(name);
      } else {
        const res = await app.inject({
          method: 'POST',
          url,
          headers: bearer(BETA),
          payload: {},
        });
        expect(res.statusCode, name).toBeLessThan(500);
        expect(res.body, name).not.toContain(MARKER);
        expect(res.body, name).not.toContain(id);
        checked.push(name);
      }
    }
    expect(checked).toEqual(
      expect.arrayContaining([
        'GET /v1/jobs/:id',
        'POST /v1/jobs/:id/cancel',
        'GET /v1/jobs/:id/events',
        'GET /v1/events',
        'GET /v1/jobs',
      ]),
    );
    // The cancel above did nothing to alpha's job.
    const after = await app.inject({
      method: 'GET',
      url: `/v1/jobs/${id}`,
      headers: bearer(ALPHA),
    });
    expect(after.json()).toMatchObject({ id, status: 'pending', source_url: MARKER });
  });

  it("batches, long polls and ?job_id= treat another tenant's job as unknown", async () => {
    const { app } = await buildTestApp({ apiKeys: API_KEYS });
    const alphaId = await createAlphaJob(app);
    const betaRes = await app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: bearer(BETA),
    });
    const betaId = betaRes.json<{ id: string }>().id;
    const batch = await app.inject({
      method: 'GET',
      url: `/v1/jobs?ids=${alphaId},${betaId}`,
      headers: bearer(BETA),
    });
    expect(batch.statusCode).toBe(200);
    expect(batch.json().data.map((j: { id: string }) => j.id)).toEqual([betaId]);
    expect(batch.json().not_found).toEqual([alphaId]);
    expect(batch.body).not.toContain(MARKER);

    const held = await app.inject({
      method: 'GET',
      url: `/v1/jobs/${alphaId}?wait=5`,
      headers: bearer(BETA),
    });
    expect(held.statusCode).toBe(404);

    const status = await app.inject({
      method: 'GET',
      url: `/status?job_id=${alphaId}`,
      headers: bearer(BETA),
    });
    expect(status.statusCode).toBe(404);
    expect(status.body).not.toContain(MARKER);

    const list = await app.inject({ method: 'GET', url: '/v1/jobs', headers: bearer(BETA) });
    expect(list.json().data.map((j: { id: string }) => j.id)).toEqual([betaId]);
    const alphaList = await app.inject({ method: 'GET', url: '/v1/jobs', headers: bearer(ALPHA) });
    expect(alphaList.json().data.map((j: { id: string }) => j.id)).toEqual([alphaId]);
  });
});
