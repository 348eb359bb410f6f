import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, createManualClock, type TestApp } from './helpers/server.js';
import { tempDir } from '@vtrans/test-support';

// One app for the file; each test lists as its own tenant, so tests do not see each other's jobs.
const clock = createManualClock();
let shared: TestApp;
let tenantCount = 0;
let TENANT: Record<string, string> = {};
beforeAll(async () => {
  shared = await buildTestApp({ clock, tenantHeader: true });
});
beforeEach(() => {
  TENANT = { 'x-test-tenant': `lister-${++tenantCount}` };
});

async function create(app: FastifyInstance, body: object = {}, tenant?: Record<string, string>) {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/jobs',
    payload: body,
    headers: { 'content-type': 'application/json', ...(tenant ?? TENANT) },
  });
  expect(res.statusCode).toBe(201);
  return res.json<{ id: string; status: string; created_at: string }>();
}

const list = (app: FastifyInstance, query: string, tenant?: Record<string, string>) =>
  app.inject({ method: 'GET', url: `/v1/jobs${query}`, headers: tenant ?? TENANT });

describe('GET /v1/jobs (listing)', () => {
  it('lists the tenant’s jobs newest first, 20 by default', async () => {
    const { app } = shared;
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      ids.push((await create(app)).id);
      clock.advance(1);
    }
    await create(app, {}, { 'x-test-tenant': 'someone-else' });
    const res = await list(app, '');
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const page = res.json();
    expect(page.data.map((j: { id: string }) => j.id)).toEqual(ids.slice(-20).reverse());
    expect(typeof page.next_cursor).toBe('string');
  });

  for (const backend of ['memory', 'sqlite'] as const) {
    it(`walks 300 jobs with limit 7 and yields every job exactly once, in order (${backend})`, async () => {
      const { app } =
        backend === 'memory'
          ? shared
          : await buildTestApp({ clock, tenantHeader: true, store: `sqlite:${tempDir()}/list.db` });
      const created: { id: string; at: number }[] = [];
      for (let i = 0; i < 300; i++) {
        created.push({ id: (await create(app)).id, at: clock.now() });
        // Three jobs share each millisecond, so the cursor must break ties by id.
        if (i % 3 === 2) clock.advance(1);
      }
      const expected = [...created]
        .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1))
        .map((j) => j.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await list(app, `?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.statusCode).toBe(200);
        const page = res.json();
        expect(page.data.length).toBeLessThanOrEqual(7);
        seen.push(...page.data.map((j: { id: string }) => j.id));
        cursor = page.next_cursor;
        pages++;
        // Jobs created during the walk are newer than the cursor: they never show up in it.
        if (pages === 10) {
          clock.advance(1);
          await create(app);
        }
      } while (cursor !== null);
      expect(pages).toBe(Math.ceil(300 / 7));
      expect(seen).toEqual(expected);
      expect(new Set(seen).size).toBe(300);
    });
  }

  it('filters by status', async () => {
    const { app } = shared;
    const completed = await create(app, { simulate: { duration_ms: 0, outcome: 'completed' } });
    const failed = await create(app, { simulate: { duration_ms: 0, outcome: 'error' } });
    const pending = await create(app, { simulate: { duration_ms: 60_000 } });
    const canceled = await create(app, { simulate: { duration_ms: 60_000 } });
    await app.inject({ method: 'POST', url: `/v1/jobs/${canceled.id}/cancel`, headers: TENANT });
    const ids = async (status: string) =>
      (await list(app, `?status=${status}`)).json().data.map((j: { id: string }) => j.id);
    expect(await ids('completed')).toEqual([completed.id]);
    expect(await ids('error')).toEqual([failed.id]);
    expect(await ids('pending')).toEqual([pending.id]);
    expect(await ids('canceled')).toEqual([canceled.id]);
    // The filter follows the clock: the pending job completes later.
    clock.advance(60_000);
    expect(await ids('pending')).toEqual([]);
  });

  it.each([
    ['garbage', 'not-base64-json!'],
    ['a cursor of the wrong shape', Buffer.from('[1]').toString('base64url')],
    ['a cursor with a non-numeric time', Buffer.from('["x","job_a"]').toString('base64url')],
  ])('refuses %s as cursor with 400 invalid_cursor', async (_name, cursor) => {
    const { app } = shared;
    const res = await list(app, `?cursor=${cursor}`, {});
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'invalid_cursor', status: 400 });
  });

  it.each([
    ['0', 'querystring.limit', 'must be >= 1'],
    ['101', 'querystring.limit', 'must be <= 100'],
    ['ten', 'querystring.limit', 'must be integer'],
  ])('refuses limit=%s with 400 invalid_request', async (limit, path, message) => {
    const { app } = shared;
    const res = await list(app, `?limit=${limit}`, {});
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'invalid_request', errors: [{ path, message }] });
  });

  it('refuses an unknown status filter and an unknown query parameter', async () => {
    const { app } = shared;
    const bad = await list(app, '?status=done', {});
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([
      {
        path: 'querystring.status',
        message: 'must be one of "pending", "completed", "error", "canceled"',
      },
    ]);
    const unknown = await list(app, '?colour=red', {});
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors).toEqual([
      { path: 'querystring.colour', message: 'is not a known property' },
    ]);
  });
});

describe('GET /v1/jobs?ids= (batch)', () => {
  async function setup() {
    const ctx = shared;
    const a = await create(ctx.app, { simulate: { duration_ms: 1000, outcome: 'completed' } });
    const b = await create(ctx.app, { simulate: { duration_ms: 5000 } });
    const foreign = await create(ctx.app, {}, { 'x-test-tenant': 'other' });
    return { ...ctx, a, b, foreign };
  }

  it('answers the listed jobs in the order asked, unknown and foreign ids in not_found', async () => {
    const { app, a, b, foreign } = await setup();
    const res = await list(app, `?ids=${b.id},job_unknown,${a.id},${foreign.id},${b.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toMatch(/^W\/"b-[A-Za-z0-9_-]{22}"$/);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body.data.map((j: { id: string }) => j.id)).toEqual([b.id, a.id]);
    expect(body.next_cursor).toBeNull();
    expect(body.not_found).toEqual(['job_unknown', foreign.id]);
  });

  it('changes its ETag when a listed job changes, and answers 304 to a matching If-None-Match', async () => {
    const { app, a, b } = await setup();
    const first = await list(app, `?ids=${a.id},${b.id}`);
    const again = await list(app, `?ids=${a.id},${b.id}`);
    expect(again.headers.etag).toBe(first.headers.etag);
    const notModified = await app.inject({
      method: 'GET',
      url: `/v1/jobs?ids=${a.id},${b.id}`,
      headers: { ...TENANT, 'if-none-match': String(first.headers.etag) },
    });
    expect(notModified.statusCode).toBe(304);
    expect(notModified.body).toBe('');
    clock.advance(1000);
    const changed = await list(app, `?ids=${a.id},${b.id}`);
    expect(changed.headers.etag).not.toBe(first.headers.etag);
    expect(changed.json().data.map((j: { status: string }) => j.status)).toEqual([
      'completed',
      'pending',
    ]);
  });

  it('refuses more than 100 ids and an empty list with 400', async () => {
    const { app } = shared;
    const ids = Array.from({ length: 101 }, (_, i) => `job_${i}`).join(',');
    const tooMany = await list(app, `?ids=${ids}`, {});
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json()).toMatchObject({
      code: 'invalid_request',
      detail: 'ids names 101 jobs; at most 100 are allowed',
    });
    const hundred = Array.from({ length: 100 }, (_, i) => `job_${i}`).join(',');
    expect((await list(app, `?ids=${hundred}`, {})).statusCode).toBe(200);
    const empty = await list(app, '?ids=,', {});
    expect(empty.statusCode).toBe(400);
    expect(empty.json().code).toBe('invalid_request');
  });
});
