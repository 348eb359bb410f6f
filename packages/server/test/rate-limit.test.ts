import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { cancelJob } from '../src/job-service.js';
import { MemoryRateLimiter } from '../src/rate-limit/memory-limiter.js';
import { parseRateLimits } from '../src/rate-limit/policies.js';
import { buildTestApp, createManualClock, startTestServer } from './helpers/server.js';
import { sleep, tempDir } from '@vtrans/test-support';

const FREE_KEY = 'free-key-0123456789';
const PRO_KEY = 'pro-key-0123456789';
const OTHER_FREE_KEY = 'free-key-other-0001';
const API_KEYS = [
  { key: FREE_KEY, tenant: 'acme', tier: 'free' },
  { key: PRO_KEY, tenant: 'globex', tier: 'pro' },
  { key: OTHER_FREE_KEY, tenant: 'initech', tier: 'free' },
];
const RATE_LIMITS = parseRateLimits('VT_RATE_LIMITS', 'free=3/min,pro=5/s');
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

const get = (app: FastifyInstance, url: string, key?: string, extra: Record<string, string> = {}) =>
  app.inject({ method: 'GET', url, headers: { ...(key ? bearer(key) : {}), ...extra } });

describe('rate-limit configuration', () => {
  it('parses tiers per second, minute and hour', () => {
    expect(parseRateLimits('VT_RATE_LIMITS', 'free=60/min, pro=10/s,bulk=5000/h')).toEqual([
      { name: 'free', limit: 60, windowS: 60 },
      { name: 'pro', limit: 10, windowS: 1 },
      { name: 'bulk', limit: 5000, windowS: 3600 },
    ]);
  });

  it.each([
    'free',
    'free=60',
    'free=60/day',
    'free=0/min',
    'free=-1/min',
    'Free!=1/s',
    'a=1/s,a=2/s',
    '',
  ])('refuses %j with one line', (raw) => {
    expect(() => loadConfig({ VT_RATE_LIMITS: raw }, tempDir())).toThrow(ConfigError);
    try {
      loadConfig({ VT_RATE_LIMITS: raw }, tempDir());
    } catch (err) {
      expect((err as Error).message).toMatch(/^Invalid VT_RATE_LIMITS=.*[^\n]$/);
    }
  });
});

describe('MemoryRateLimiter', () => {
  it('counts a fixed window from the first request and resets after it', async () => {
    const limiter = new MemoryRateLimiter();
    const policy = { name: 'free', limit: 2, windowS: 10 };
    const t0 = 1_000_000;
    expect(await limiter.consume('k', policy, t0)).toEqual({
      allowed: true,
      remaining: 1,
      resetMs: 10_000,
      limit: 2,
      windowS: 10,
    });
    expect(await limiter.consume('k', policy, t0 + 4000)).toMatchObject({
      allowed: true,
      remaining: 0,
      resetMs: 6000,
    });
    expect(await limiter.consume('k', policy, t0 + 9999)).toMatchObject({
      allowed: false,
      remaining: 0,
      resetMs: 1,
    });
    expect(await limiter.consume('other', policy, t0 + 9999)).toMatchObject({ allowed: true });
    expect(await limiter.consume('k', policy, t0 + 10_000)).toMatchObject({
      allowed: true,
      remaining: 1,
      resetMs: 10_000,
    });
  });

  it('forgets expired windows', async () => {
    const limiter = new MemoryRateLimiter();
    const policy = { name: 'free', limit: 2, windowS: 1 };
    for (let i = 0; i < 50; i++) await limiter.consume(`k${i}`, policy, 0);
    expect(limiter.size).toBe(50);
    await limiter.consume('late', policy, 120_000);
    expect(limiter.size).toBe(1);
  });
});

describe('rate limits per key', () => {
  it('applies each tier with the IETF draft headers, then 429 with Retry-After', async () => {
    const clock = createManualClock();
    const { app } = await buildTestApp({ clock, apiKeys: API_KEYS, rateLimits: RATE_LIMITS });
    const answers = [];
    for (let i = 0; i < 3; i++) {
      answers.push(await get(app, '/v1/jobs', FREE_KEY));
      clock.advance(10_000);
    }
    expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    expect(answers.map((r) => r.headers['ratelimit-policy'])).toEqual([
      '"free";q=3;w=60',
      '"free";q=3;w=60',
      '"free";q=3;w=60',
    ]);
    expect(answers.map((r) => r.headers.ratelimit)).toEqual([
      '"free";r=2;t=60',
      '"free";r=1;t=50',
      '"free";r=0;t=40',
    ]);
    clock.advance(17_500); // 47.5 s into the window: 12.5 s left
    const limited = await get(app, '/v1/jobs', FREE_KEY);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toBe('application/problem+json');
    expect(limited.headers['retry-after']).toBe('13');
    expect(limited.headers['ratelimit-policy']).toBe('"free";q=3;w=60');
    expect(limited.headers.ratelimit).toBe('"free";r=0;t=13');
    expect(limited.json()).toMatchObject({ code: 'rate_limited', status: 429 });

    // Other keys have their own counters and tiers.
    const other = await get(app, '/v1/jobs', OTHER_FREE_KEY);
    expect(other.statusCode).toBe(200);
    expect(other.headers.ratelimit).toBe('"free";r=2;t=60');
    const pro = [];
    for (let i = 0; i < 6; i++) pro.push(await get(app, '/v1/jobs', PRO_KEY));
    expect(pro.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200, 429]);
    expect(pro[0]?.headers['ratelimit-policy']).toBe('"pro";q=5;w=1');
    expect(pro.map((r) => r.headers.ratelimit)).toEqual([
      '"pro";r=4;t=1',
      '"pro";r=3;t=1',
      '"pro";r=2;t=1',
      '"pro";r=1;t=1',
      '"pro";r=0;t=1',
      '"pro";r=0;t=1',
    ]);
    expect(pro[5]?.headers['retry-after']).toBe('1');

    clock.advance(12_500);
    const again = await get(app, '/v1/jobs', FREE_KEY);
    expect(again.statusCode).toBe(200);
    expect(again.headers.ratelimit).toBe('"free";r=2;t=60');
  });

  it('limits POSTs and /status too, but not health, metrics, docs or the dashboard', async () => {
    const clock = createManualClock();
    const { app } = await buildTestApp({ clock, apiKeys: API_KEYS, rateLimits: RATE_LIMITS });
    const created = await app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: bearer(FREE_KEY),
    });
    expect(created.headers.ratelimit).toBe('"free";r=2;t=60');
    const status = await get(app, '/status', FREE_KEY);
    expect(status.headers.ratelimit).toBe('"free";r=1;t=60');
    for (const url of [
      '/healthz',
      '/readyz',
      '/metrics',
      '/openapi.json',
      '/docs',
      '/',
      '/assets/app.js',
    ]) {
      for (let i = 0; i < 4; i++) {
        const res = await get(app, url, FREE_KEY);
        expect(res.statusCode, url).not.toBe(429);
        expect(res.headers.ratelimit, url).toBeUndefined();
      }
    }
    expect((await get(app, '/v1/jobs', FREE_KEY)).headers.ratelimit).toBe('"free";r=0;t=60');
  });

  it('counts keyless GET /status per client address in keys mode, and the encoded path too', async () => {
    const clock = createManualClock();
    const { app } = await buildTestApp({ clock, apiKeys: API_KEYS, rateLimits: RATE_LIMITS });
    const from = (url: string, remoteAddress: string) =>
      app.inject({ method: 'GET', url, remoteAddress });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await from('/status', '127.0.0.5'));
    expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 200, 429]);
    expect(answers[0]?.headers.ratelimit).toBe('"free";r=2;t=60');
    // The router decodes %73 to "s": the route reached is limited, whatever the raw path says.
    expect((await from('/%73tatus', '127.0.0.5')).statusCode).toBe(429);
    expect((await from('/status', '127.0.0.6')).statusCode).toBe(200);
  });

  it('counts a held long poll (wait=2) once, however often it wakes', async () => {
    const clock = createManualClock();
    const { app, context } = await buildTestApp({
      clock,
      apiKeys: API_KEYS.filter((k) => k.tier === 'free'),
      rateLimits: parseRateLimits('VT_RATE_LIMITS', 'free=100/min'),
    });
    const created = await app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { ...bearer(FREE_KEY), 'content-type': 'application/json' },
      payload: { simulate: { duration_ms: 3_600_000 } },
    });
    expect(created.headers.ratelimit).toBe('"free";r=99;t=60');
    const id = created.json<{ id: string }>().id;
    const held = get(app, `/v1/jobs/${id}`, FREE_KEY, { prefer: 'wait=2' });
    await sleep(50);
    expect(context.waiters.heldRequests).toBe(1);
    // Wake the hold several times without a status change: it re-reads and keeps holding.
    for (let i = 0; i < 3; i++) {
      context.hub.publish({ jobId: id, tenant: 'acme', at: clock.now() });
      await sleep(20);
    }
    expect(context.waiters.heldRequests).toBe(1);
    await cancelJob(context, 'acme', id);
    const answer = await held;
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['preference-applied']).toBe('wait=2');
    expect(answer.json()).toMatchObject({ status: 'canceled' });
    expect(answer.headers.ratelimit).toBe('"free";r=98;t=60');
    const next = await get(app, `/v1/jobs/${id}`, FREE_KEY);
    expect(next.headers.ratelimit).toBe('"free";r=97;t=60');
  });

  it('is off in open mode by default, and per client address when configured', async () => {
    const open = await buildTestApp();
    for (let i = 0; i < 5; i++) {
      const res = await open.app.inject({ method: 'GET', url: '/v1/jobs' });
      expect(res.statusCode).toBe(200);
      expect(res.headers.ratelimit).toBeUndefined();
    }
    const clock = createManualClock();
    const limited = await buildTestApp({
      clock,
      rateLimits: parseRateLimits('VT_RATE_LIMITS', 'free=2/min'),
    });
    const from = (remoteAddress: string) =>
      limited.app.inject({ method: 'GET', url: '/v1/jobs', remoteAddress });
    expect((await from('127.0.0.2')).statusCode).toBe(200);
    expect((await from('127.0.0.2')).statusCode).toBe(200);
    const third = await from('127.0.0.2');
    expect(third.statusCode).toBe(429);
    expect(third.headers['ratelimit-policy']).toBe('"free";q=2;w=60');
    expect((await from('127.0.0.3')).statusCode).toBe(200);
  });

  it('counts limited requests in the metrics', async () => {
    const clock = createManualClock();
    const { app } = await buildTestApp({ clock, apiKeys: API_KEYS, rateLimits: RATE_LIMITS });
    for (let i = 0; i < 5; i++) await get(app, '/v1/jobs', FREE_KEY);
    const metrics = (await get(app, '/metrics')).body;
    expect(metrics).toContain('vtrans_rate_limited_total{tier="free"} 2');
  });
});

describe('per-key cap on held requests and streams', () => {
  it('answers a long poll at once past the cap, and refuses a stream with 503', async () => {
    const srv = await startTestServer({ apiKeys: API_KEYS, maxWaitersPerKey: 1 });
    const create = async (key: string) => {
      const res = await srv.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: { ...bearer(key), 'content-type': 'application/json' },
        payload: { simulate: { duration_ms: 3_600_000 } },
      });
      return res.json<{ id: string }>().id;
    };
    const freeJob = await create(FREE_KEY);
    const proJob = await create(PRO_KEY);
    const first = srv.app.inject({
      method: 'GET',
      url: `/v1/jobs/${freeJob}`,
      headers: { ...bearer(FREE_KEY), prefer: 'wait=2' },
    });
    await sleep(50);
    expect(srv.context.waiters.heldRequests).toBe(1);

    const started = Date.now();
    const second = await srv.app.inject({
      method: 'GET',
      url: `/v1/jobs/${freeJob}?wait=2`,
      headers: bearer(FREE_KEY),
    });
    expect(second.statusCode).toBe(200);
    expect(second.headers['preference-applied']).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1500);

    const stream = await fetch(`${srv.url}/v1/events`, { headers: bearer(FREE_KEY) });
    expect(stream.status).toBe(503);
    expect(stream.headers.get('content-type')).toBe('application/problem+json');
    expect(((await stream.json()) as { code: string }).code).toBe('server_busy');

    // Another key is not affected.
    const other = srv.app.inject({
      method: 'GET',
      url: `/v1/jobs/${proJob}`,
      headers: { ...bearer(PRO_KEY), prefer: 'wait=1' },
    });
    await sleep(50);
    expect(srv.context.waiters.heldRequests).toBe(2);
    expect((await other).headers['preference-applied']).toBe('wait=1');
    expect((await first).headers['preference-applied']).toBe('wait=2');

    // The place is free again once the hold is answered.
    const later = await srv.app.inject({
      method: 'GET',
      url: `/v1/jobs/${freeJob}`,
      headers: { ...bearer(FREE_KEY), prefer: 'wait=1' },
    });
    expect(later.headers['preference-applied']).toBe('wait=1');
  });
});
