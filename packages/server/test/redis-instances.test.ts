/**
 * Two server instances on one Redis: a change made through one wakes held requests and event
 * streams on the other, idempotency keys are shared, and a Redis killed with SIGKILL and restarted
 * loses no acknowledged job while requests fail fast (503 problem+json) rather than hang.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.js';
import { needs, type RedisServer, sleep, startRedis } from '@vtrans/test-support';
import { readSse } from './helpers/sse.js';
import { startTestServer } from './helpers/server.js';

const hasRedis = needs('redis', 'two instances on one Redis');

interface JobBody {
  id: string;
  status: string;
}

const post = (srv: RunningServer, path: string, body: unknown = {}, headers = {}) =>
  fetch(`${srv.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

const create = async (srv: RunningServer, body: unknown = {}) =>
  (await (await post(srv, '/v1/jobs', body)).json()) as JobBody;

describe.skipIf(!hasRedis)('two instances on one Redis', () => {
  let redis: RedisServer;
  let a: RunningServer;
  let b: RunningServer;

  beforeAll(async () => {
    redis = await startRedis();
    // Jobs last an hour unless a test pins them: nothing changes by itself during a test.
    a = await startTestServer({ store: redis.url, translationDelayMs: 3_600_000 });
    b = await startTestServer({ store: redis.url, translationDelayMs: 3_600_000 });
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('answers a long poll held on A (wait=30) when the job is canceled through B', async () => {
    const job = await create(a);
    const held = fetch(`${a.url}/v1/jobs/${job.id}`, { headers: { prefer: 'wait=30' } });
    await expect.poll(() => a.context.waiters.heldRequests).toBe(1);
    expect((await post(b, `/v1/jobs/${job.id}/cancel`)).status).toBe(200);
    const res = await held;
    expect(res.headers.get('preference-applied')).toBe('wait=30');
    expect(await res.json()).toMatchObject({ id: job.id, status: 'canceled' });
  });

  it('wakes a long poll on B when a job created on A finishes (B tracks it too)', async () => {
    const job = await create(a, { simulate: { duration_ms: 200, outcome: 'completed' } });
    const res = await fetch(`${b.url}/v1/jobs/${job.id}?wait=20`, {
      headers: { 'if-none-match': 'W/"1"' },
    });
    expect(await res.json()).toMatchObject({ id: job.id, status: 'completed' });
  });

  it('shows an event stream on B the jobs created on A', async () => {
    const stream = await fetch(`${b.url}/v1/events`);
    const job = await create(a);
    const frames = await readSse(stream, (f) =>
      f.some((x) => (JSON.parse(x.data) as JobBody).id === job.id),
    );
    expect(frames.find((x) => (JSON.parse(x.data) as JobBody).id === job.id)?.event).toBe(
      'job.created',
    );
  });

  it('shares idempotency keys between instances', async () => {
    const headers = { 'idempotency-key': 'shared-1' };
    const first = await post(a, '/v1/jobs', { target_language: 'it' }, headers);
    const replay = await post(b, '/v1/jobs', { target_language: 'it' }, headers);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(((await replay.json()) as JobBody).id).toBe(((await first.json()) as JobBody).id);
    expect((await post(b, '/v1/jobs', { target_language: 'pt' }, headers)).status).toBe(422);
  });

  it('survives a SIGKILL of Redis: fails fast while down, loses no acknowledged job, held waiters recover', async () => {
    const acknowledged: string[] = [];
    for (let i = 0; i < 20; i++) acknowledged.push((await create(i % 2 ? a : b)).id);
    const waitedOn = await create(a);
    const held = fetch(`${b.url}/v1/jobs/${waitedOn.id}?wait=30`);
    await expect.poll(() => b.context.waiters.heldRequests).toBe(1);

    await redis.kill();
    const down = await fetch(`${a.url}/v1/jobs/${acknowledged[0]}`);
    expect(down.status).toBe(503);
    expect(down.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await down.json()).toMatchObject({ code: 'store_unavailable', status: 503 });
    expect((await fetch(`${b.url}/readyz`)).status).toBe(503);
    expect((await post(a, '/v1/jobs')).status).toBe(503);

    await redis.restart();
    await expect
      .poll(async () => (await fetch(`${a.url}/readyz`)).status, { timeout: 10_000 })
      .toBe(200);
    await expect
      .poll(async () => (await fetch(`${b.url}/readyz`)).status, { timeout: 10_000 })
      .toBe(200);
    for (const id of acknowledged) {
      expect((await fetch(`${b.url}/v1/jobs/${id}`)).status).toBe(200);
    }
    // The held request was never answered with an error; a cancel through A still reaches it.
    expect(b.context.waiters.heldRequests).toBe(1);
    await expect
      .poll(async () => (await post(a, `/v1/jobs/${waitedOn.id}/cancel`)).status, {
        timeout: 10_000,
      })
      .toBe(200);
    expect(await (await held).json()).toMatchObject({ id: waitedOn.id, status: 'canceled' });
  });

  it('keeps a long poll held through a Redis outage and answers the completion once Redis is back', async () => {
    // Stage changes fall inside the outage: the held request re-reads, fails, and keeps holding.
    const job = await create(a, { simulate: { duration_ms: 4000, outcome: 'completed' } });
    const held = fetch(`${b.url}/v1/jobs/${job.id}?wait=30`, {
      headers: { 'if-none-match': 'W/"1"' },
    });
    await expect.poll(() => b.context.waiters.heldRequests).toBe(1);
    await redis.kill();
    await sleep(1500);
    await redis.restart();
    const res = await held;
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: job.id, status: 'completed' });
  });
});
