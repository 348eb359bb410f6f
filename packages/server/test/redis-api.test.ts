/**
 * The jobs API on the Redis store, over real HTTP: a representative set of the behaviours the
 * memory and SQLite stores are tested for (create, idempotency, get, list cursor, cancel, long
 * poll, batch long poll, the event stream and its resumption, readiness).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.js';
import { compareEventIds } from '../src/store/types.js';
import { needs, startRedis, type RedisServer } from '@vtrans/test-support';
import { readSse } from './helpers/sse.js';
import { startTestServer } from './helpers/server.js';

const hasRedis = needs('redis', 'the jobs API on the Redis store');

interface JobBody {
  id: string;
  status: string;
  version: number;
  created_at: string;
  completed_at: string | null;
}

describe.skipIf(!hasRedis)('the jobs API on the Redis store', () => {
  let redis: RedisServer;
  let srv: RunningServer;

  beforeAll(async () => {
    redis = await startRedis();
    srv = await startTestServer({ store: redis.url, translationDelayMs: 60_000 });
  });

  afterAll(async () => {
    await srv?.close();
  });

  const post = (path: string, body: unknown = {}, headers: Record<string, string> = {}) =>
    fetch(`${srv.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  const create = async (body: unknown = {}) =>
    (await (await post('/v1/jobs', body)).json()) as JobBody;

  it('is ready once caught up, and reports the redis store', async () => {
    // Ready once the scheduler has read the unfinished jobs (503 catching_up until then).
    await expect.poll(async () => (await fetch(`${srv.url}/readyz`)).status).toBe(200);
    const res = await fetch(`${srv.url}/readyz`);
    expect(await res.json()).toEqual({ status: 'ready', store: 'redis' });
    expect(await (await fetch(`${srv.url}/status`)).json()).toHaveProperty('result');
  });

  it('creates a job (201, Location) and reads it back with its ETag', async () => {
    const res = await post('/v1/jobs', { target_language: 'fr' });
    expect(res.status).toBe(201);
    const job = (await res.json()) as JobBody;
    expect(res.headers.get('location')).toBe(`/v1/jobs/${job.id}`);
    const got = await fetch(`${srv.url}/v1/jobs/${job.id}`);
    expect(got.status).toBe(200);
    expect(got.headers.get('etag')).toBe('W/"1"');
    expect(await got.json()).toMatchObject({
      id: job.id,
      status: 'pending',
      target_language: 'fr',
    });
  });

  it('replays an idempotent create and refuses the key with another body', async () => {
    const first = await post('/v1/jobs', { target_language: 'de' }, { 'idempotency-key': 'api-1' });
    const again = await post('/v1/jobs', { target_language: 'de' }, { 'idempotency-key': 'api-1' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as JobBody).id).toBe(((await first.json()) as JobBody).id);
    const other = await post('/v1/jobs', { target_language: 'es' }, { 'idempotency-key': 'api-1' });
    expect(other.status).toBe(422);
    expect(other.headers.get('content-type')).toMatch(/problem\+json/);
  });

  it('lists newest first and follows the cursor without repeats', async () => {
    const made = [await create(), await create(), await create()];
    const page1 = (await (await fetch(`${srv.url}/v1/jobs?limit=2`)).json()) as {
      data: JobBody[];
      next_cursor: string | null;
    };
    const newestFirst = [...made].sort((a, b) =>
      a.created_at === b.created_at ? (a.id < b.id ? 1 : -1) : a.created_at < b.created_at ? 1 : -1,
    );
    expect(page1.data.map((j) => j.id)).toEqual([newestFirst[0]!.id, newestFirst[1]!.id]);
    expect(page1.next_cursor).toEqual(expect.any(String));
    const page2 = (await (
      await fetch(`${srv.url}/v1/jobs?limit=2&cursor=${page1.next_cursor}`)
    ).json()) as { data: JobBody[] };
    expect(page2.data[0]?.id).toBe(newestFirst[2]!.id);
    const pending = (await (await fetch(`${srv.url}/v1/jobs?status=canceled`)).json()) as {
      data: JobBody[];
    };
    expect(pending.data.every((j) => j.status === 'canceled')).toBe(true);
  });

  it('cancels a pending job, safely again, and refuses a finished one with 409', async () => {
    const job = await create();
    const res = await post(`/v1/jobs/${job.id}/cancel`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'canceled', version: 2 });
    expect((await post(`/v1/jobs/${job.id}/cancel`)).status).toBe(200);
    const done = await create({ simulate: { duration_ms: 0 } });
    const refused = await post(`/v1/jobs/${done.id}/cancel`);
    expect(refused.status).toBe(409);
  });

  it('holds a long poll until the job finishes and answers with the terminal job', async () => {
    const job = await create({ simulate: { duration_ms: 150, outcome: 'completed' } });
    const res = await fetch(`${srv.url}/v1/jobs/${job.id}`, {
      headers: { prefer: 'wait=10', 'if-none-match': 'W/"1"' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('preference-applied')).toBe('wait=10');
    expect(await res.json()).toMatchObject({ id: job.id, status: 'completed', version: 2 });
  });

  it('wakes a held long poll when the job is canceled', async () => {
    const job = await create();
    const held = fetch(`${srv.url}/v1/jobs/${job.id}?wait=30`);
    await expect.poll(() => srv.context.waiters.heldRequests).toBe(1);
    await post(`/v1/jobs/${job.id}/cancel`);
    const res = await held;
    expect(await res.json()).toMatchObject({ status: 'canceled' });
  });

  it('holds a batch until one of its jobs changes', async () => {
    const slow = await create();
    const fast = await create({ simulate: { duration_ms: 150, outcome: 'completed' } });
    const first = await fetch(`${srv.url}/v1/jobs?ids=${slow.id},${fast.id}`);
    const etag = first.headers.get('etag')!;
    const res = await fetch(`${srv.url}/v1/jobs?ids=${slow.id},${fast.id}`, {
      headers: { prefer: 'wait=10', 'if-none-match': etag },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: JobBody[] };
    expect(body.data.find((j) => j.id === fast.id)?.status).toBe('completed');
    expect(body.data.find((j) => j.id === slow.id)?.status).toBe('pending');
  });

  it('streams events with stream ids and resumes after Last-Event-ID', async () => {
    const stream = await fetch(`${srv.url}/v1/events`);
    const job = await create();
    await post(`/v1/jobs/${job.id}/cancel`);
    const frames = await readSse(stream, (f) => f.some((x) => x.event === 'job.canceled'));
    const mine = frames.filter((f) => (JSON.parse(f.data) as JobBody).id === job.id);
    expect(mine.map((f) => f.event)).toEqual(['job.created', 'job.canceled']);
    expect(mine[0]!.id).toMatch(/^\d+-\d+$/);
    const resumed = await fetch(`${srv.url}/v1/events`, {
      headers: { 'last-event-id': mine[0]!.id! },
    });
    const replay = await readSse(resumed, (f) => f.some((x) => x.event === 'job.canceled'));
    // Other tests' jobs may finish in between: the replay starts right after the given id, and
    // this job's next event is its cancel.
    expect(replay.every((f) => compareEventIds(f.id!, mine[0]!.id!) > 0)).toBe(true);
    expect(replay.filter((f) => (JSON.parse(f.data) as JobBody).id === job.id)).toEqual([mine[1]]);
  });
});
