import { describe, expect, it } from 'vitest';
import { StatsRing } from '../src/stats-ring.js';
import { createManualClock, startTestServer } from './helpers/server.js';

const MINUTE = 60_000;
/** 12:00:30 UTC: half a minute into a bucket, so "the same minute" and "the next" are clear. */
const T0 = Date.UTC(2026, 0, 1, 12, 0, 30);

interface StatsBody {
  now: string;
  since: string;
  bucket_ms: number;
  buckets: {
    start: string;
    created: number;
    completed: number;
    failed: number;
    canceled: number;
  }[];
  totals: { created: number; completed: number; failed: number; canceled: number };
}

describe('GET /v1/settings', () => {
  it('answers the simulation settings read-only, without where the store lives', async () => {
    const srv = await startTestServer({
      translationDelayMs: 1234,
      translationDelayJitter: 0.1,
      errorProbability: 0.25,
      seed: '7',
      maxWaiters: 99,
      retentionMs: 3_600_000,
    });
    const res = await srv.app.inject({ method: 'GET', url: '/v1/settings' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toEqual({
      translation_delay_ms: 1234,
      translation_delay_jitter: 0.1,
      error_probability: 0.25,
      seeded: true,
      store: 'memory',
      retention_ms: 3_600_000,
      max_waiters: 99,
      max_wait_s: 50,
      sse_heartbeat_ms: 15_000,
    });
    const post = await srv.app.inject({ method: 'POST', url: '/v1/settings', payload: {} });
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it('says when choices are not seeded', async () => {
    const srv = await startTestServer();
    const res = await srv.app.inject({ method: 'GET', url: '/v1/settings' });
    expect(res.json()).toMatchObject({ seeded: false, store: 'memory' });
  });
});

describe('GET /v1/stats', () => {
  it('counts created, completed, failed and canceled jobs in the minute each happened', async () => {
    const clock = createManualClock(T0);
    const srv = await startTestServer({ clock });
    const create = (simulate: Record<string, unknown>) =>
      srv.app.inject({ method: 'POST', url: '/v1/jobs', payload: { simulate } });
    await create({ duration_ms: 0, outcome: 'completed' });
    await create({ duration_ms: 0, outcome: 'completed' });
    await create({ duration_ms: 0, outcome: 'error' });
    const long = (await create({ duration_ms: 3_600_000 })).json<{ id: string }>();
    await srv.app.inject({ method: 'POST', url: `/v1/jobs/${long.id}/cancel` });
    const stats = async () =>
      (await srv.app.inject({ method: 'GET', url: '/v1/stats' })).json<StatsBody>();
    // The scheduler writes the zero-length jobs' terminal events from its timer, stamped with the
    // clock's time when it writes them: wait for those events before moving the clock, or a busy
    // machine lets the move come first and they land in the next minute.
    await expect
      .poll(async () => (await stats()).totals, { timeout: 10_000, interval: 10 })
      .toMatchObject({ completed: 2, failed: 1 });
    clock.advance(MINUTE);
    await create({ duration_ms: 3_600_000 });

    const body = await stats();
    expect(body.totals).toEqual({ created: 5, completed: 2, failed: 1, canceled: 1 });
    expect(body.bucket_ms).toBe(MINUTE);
    expect(body.buckets).toHaveLength(15);
    expect(body.now).toBe(new Date(T0 + MINUTE).toISOString());
    const minuteStart = (ms: number) => new Date(Math.floor(ms / MINUTE) * MINUTE).toISOString();
    expect(body.buckets.at(-1)).toEqual({
      start: minuteStart(T0 + MINUTE),
      created: 1,
      completed: 0,
      failed: 0,
      canceled: 0,
    });
    expect(body.buckets.at(-2)).toEqual({
      start: minuteStart(T0),
      created: 4,
      completed: 2,
      failed: 1,
      canceled: 1,
    });
    // Counting started with the server, inside the window.
    expect(body.since).toBe(new Date(T0).toISOString());
  });

  it("counts only the caller's tenant", async () => {
    const keys = { acme: 'stats_key_acme_0123', globex: 'stats_key_globex_0123' };
    const srv = await startTestServer({
      apiKeys: [
        { key: keys.acme, tenant: 'acme', tier: 'pro' },
        { key: keys.globex, tenant: 'globex', tier: 'pro' },
      ],
    });
    const as = (key: string) => ({ authorization: `Bearer ${key}` });
    for (let i = 0; i < 3; i++) {
      await srv.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: as(keys.acme),
        payload: {},
      });
    }
    await srv.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: as(keys.globex),
      payload: {},
    });
    const stats = (key: string) =>
      srv.app.inject({ method: 'GET', url: '/v1/stats', headers: as(key) });
    expect((await stats(keys.acme)).json<StatsBody>().totals.created).toBe(3);
    expect((await stats(keys.globex)).json<StatsBody>().totals.created).toBe(1);
    expect((await srv.app.inject({ method: 'GET', url: '/v1/stats' })).statusCode).toBe(401);
  });

  it('answers the number of minutes asked for, and a problem for a bad number', async () => {
    const srv = await startTestServer();
    const three = await srv.app.inject({ method: 'GET', url: '/v1/stats?minutes=3' });
    expect(three.statusCode).toBe(200);
    expect(three.json<StatsBody>().buckets).toHaveLength(3);
    for (const url of [
      '/v1/stats?minutes=0',
      '/v1/stats?minutes=61',
      '/v1/stats?minutes=x',
      '/v1/stats?x=1',
    ]) {
      const res = await srv.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ status: 400, code: 'invalid_request' });
    }
  });
});

describe('StatsRing', () => {
  it("keeps each tenant's counts apart", () => {
    const ring = new StatsRing(T0);
    ring.record({ tenant: 'a', type: 'job.created', at: T0 }, T0);
    ring.record({ tenant: 'a', type: 'job.completed', at: T0 }, T0);
    ring.record({ tenant: 'b', type: 'job.failed', at: T0 }, T0);
    ring.record({ tenant: 'b', type: 'job.updated', at: T0 }, T0);
    const a = ring.read('a', 1, T0)[0]?.counts;
    const b = ring.read('b', 1, T0)[0]?.counts;
    expect(a).toEqual({ created: 1, completed: 1, failed: 0, canceled: 0 });
    expect(b).toEqual({ created: 0, completed: 0, failed: 1, canceled: 0 });
    expect(ring.read('nobody', 2, T0).map((r) => r.counts.created)).toEqual([0, 0]);
  });

  it('forgets minutes older than an hour and ignores events that old', () => {
    const ring = new StatsRing(T0);
    ring.record({ tenant: 'a', type: 'job.created', at: T0 }, T0);
    const later = T0 + 60 * MINUTE;
    ring.record({ tenant: 'a', type: 'job.created', at: T0 - MINUTE }, later);
    ring.record({ tenant: 'a', type: 'job.canceled', at: later }, later);
    const rows = ring.read('a', 60, later);
    expect(rows).toHaveLength(60);
    expect(rows.reduce((n, r) => n + r.counts.created, 0)).toBe(0);
    expect(rows.at(-1)?.counts.canceled).toBe(1);
    // A late event (the scheduler catching up after a restart) lands in its own minute.
    ring.record({ tenant: 'a', type: 'job.completed', at: later - 5 * MINUTE }, later);
    expect(ring.read('a', 6, later)[0]?.counts.completed).toBe(1);
  });
});
