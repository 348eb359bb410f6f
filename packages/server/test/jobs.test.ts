import { beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { TERMINAL_STEP, type JobRecord } from '../src/sim/job-model.js';
import { eventForStep } from '../src/sim/job-events.js';
import {
  buildTestApp,
  createManualClock,
  startTestServer,
  type TestApp,
} from './helpers/server.js';
import { tempDir } from '@vtrans/test-support';

const JSON_TYPE = 'application/json; charset=utf-8';
const PROBLEM_TYPE = 'application/problem+json';

// One app for most tests (building one takes a while); time moves only when a test moves it.
const clock = createManualClock();
let shared: TestApp;
beforeAll(async () => {
  shared = await buildTestApp({ clock, tenantHeader: true });
});

function post(
  app: FastifyInstance,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/v1/jobs',
    ...(body === undefined
      ? {}
      : {
          payload: typeof body === 'string' ? body : JSON.stringify(body),
          headers: { 'content-type': 'application/json', ...headers },
        }),
    ...(body === undefined ? { headers } : {}),
  });
}

/** Asserts a problem+json answer and returns its body. */
function expectProblem(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toBe(PROBLEM_TYPE);
  expect(res.headers['cache-control']).toBe('no-store');
  const body = res.json();
  expect(body).toMatchObject({
    type: `https://vtrans.dev/problems/${code}`,
    status,
    code,
    request_id: res.headers['x-request-id'],
  });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  return body;
}

describe('POST /v1/jobs', () => {
  it('creates a job: 201, the job, Location, ETag W/"1", Retry-After to the eta', async () => {
    const { app } = shared;
    const res = await post(app, { source_url: 'https://example.com/a.mp4', target_language: 'de' });
    expect(res.statusCode).toBe(201);
    expect(res.headers['content-type']).toBe(JSON_TYPE);
    const job = res.json();
    expect(job).toEqual({
      id: expect.stringMatching(/^job_[a-z2-7]{20}$/),
      status: 'pending',
      progress: 0,
      stage: 'queued',
      source_url: 'https://example.com/a.mp4',
      target_language: 'de',
      created_at: new Date(clock.now()).toISOString(),
      updated_at: new Date(clock.now()).toISOString(),
      eta: new Date(clock.now() + 10_000).toISOString(),
      completed_at: null,
      error: null,
      result: null,
      version: 1,
    });
    expect(res.headers.location).toBe(`/v1/jobs/${job.id}`);
    expect(res.headers.etag).toBe('W/"1"');
    expect(res.headers['retry-after']).toBe('10');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('accepts a request without a body as an empty job request', async () => {
    const { app } = shared;
    const res = await post(app, undefined);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      status: 'pending',
      source_url: null,
      target_language: null,
    });
  });

  it('accepts an empty JSON object', async () => {
    const { app } = shared;
    expect((await post(app, {})).statusCode).toBe(201);
  });

  it.each([
    [
      'a negative simulate.duration_ms',
      { simulate: { duration_ms: -1 } },
      'body.simulate.duration_ms',
      'must be >= 0',
    ],
    [
      'simulate.duration_ms above 24 h',
      { simulate: { duration_ms: 86_400_001 } },
      'body.simulate.duration_ms',
      'must be <= 86400000',
    ],
    [
      'a fractional simulate.duration_ms',
      { simulate: { duration_ms: 1.5 } },
      'body.simulate.duration_ms',
      'must be integer',
    ],
    [
      'a string simulate.duration_ms',
      { simulate: { duration_ms: 'soon' } },
      'body.simulate.duration_ms',
      'must be integer',
    ],
    ['simulate that is not an object', { simulate: 'fast' }, 'body.simulate', 'must be object'],
    [
      'an unknown simulate.outcome',
      { simulate: { outcome: 'maybe' } },
      'body.simulate.outcome',
      expect.any(String),
    ],
    ['an unknown property', { colour: 'red' }, 'body.colour', 'is not a known property'],
    [
      'an unknown simulate property',
      { simulate: { speed: 2 } },
      'body.simulate.speed',
      'is not a known property',
    ],
    [
      'a bad target_language',
      { target_language: 'german!' },
      'body.target_language',
      expect.stringMatching(/^must match pattern/),
    ],
    [
      'an empty source_url',
      { source_url: '' },
      'body.source_url',
      'must NOT have fewer than 1 characters',
    ],
    [
      'callback_events that is not a list',
      { callback_events: 'job.completed' },
      'body.callback_events',
      'must be array',
    ],
    ['a JSON array body', [1, 2], 'body', 'must be object'],
    ['a number as source_url', { source_url: 5 }, 'body.source_url', 'must be string'],
    ['a boolean as source_url', { source_url: true }, 'body.source_url', 'must be string'],
    [
      'null as target_language',
      { target_language: null },
      'body.target_language',
      'must be string',
    ],
    [
      'a boolean simulate.duration_ms',
      { simulate: { duration_ms: true } },
      'body.simulate.duration_ms',
      'must be integer',
    ],
    [
      'a numeric string simulate.duration_ms',
      { simulate: { duration_ms: '100' } },
      'body.simulate.duration_ms',
      'must be integer',
    ],
    [
      'a string simulate.jitter',
      { simulate: { jitter: '0.5' } },
      'body.simulate.jitter',
      'must be number',
    ],
  ])('refuses %s with 400 invalid_request naming the field', async (_name, body, path, message) => {
    const { app } = shared;
    const res = await post(app, body);
    const problem = expectProblem(res, 400, 'invalid_request');
    expect(problem.instance).toBe('/v1/jobs');
    expect(problem.errors).toEqual([{ path, message }]);
    expect(problem.detail).toBe(`${path} ${problem.errors[0].message}`);
  });

  it('refuses malformed JSON with 400 invalid_json', async () => {
    const { app } = shared;
    const problem = expectProblem(await post(app, '{"source_url": '), 400, 'invalid_json');
    expect(problem.title).toBe('Malformed JSON body');
  });

  it('refuses an empty body declared as JSON with 400 invalid_json', async () => {
    const { app } = shared;
    expectProblem(await post(app, ''), 400, 'invalid_json');
  });

  it('refuses a body over the 1 MB default limit with 413', async () => {
    const { app } = shared;
    const res = await post(app, { source_url: 'x'.repeat(1_100_000) });
    expectProblem(res, 413, 'payload_too_large');
  });

  it('applies a configured body limit (VT_BODY_LIMIT)', async () => {
    const { app } = await buildTestApp({ bodyLimitBytes: 2048 });
    expectProblem(await post(app, { source_url: 'x'.repeat(3000) }), 413, 'payload_too_large');
    expect((await post(app, { source_url: 'x'.repeat(1500) })).statusCode).toBe(201);
  });

  it('refuses a text/plain body with 415', async () => {
    const { app } = shared;
    const res = await app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: 'source_url=x',
      headers: { 'content-type': 'text/plain' },
    });
    expectProblem(res, 415, 'unsupported_media_type');
  });
});

describe('Idempotency-Key', () => {
  it('replays the original 201 for the same key and body', async () => {
    const { app } = shared;
    const body = { source_url: 'https://example.com/a.mp4', target_language: 'fr' };
    const tenant = { 'x-test-tenant': 'replayer' };
    const first = await post(app, body, { 'idempotency-key': 'order-1', ...tenant });
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    clock.advance(500);
    // Same body with keys in another order is the same request.
    const again = await post(
      app,
      { target_language: 'fr', source_url: body.source_url },
      { 'idempotency-key': 'order-1', ...tenant },
    );
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(again.headers.location).toBe(first.headers.location);
    const list = await app.inject({ method: 'GET', url: '/v1/jobs', headers: tenant });
    expect(list.json().data.map((j: { id: string }) => j.id)).toEqual([first.json().id]);
  });

  it('refuses the same key with another body with 422', async () => {
    const { app } = shared;
    await post(app, { target_language: 'fr' }, { 'idempotency-key': 'k' });
    const res = await post(app, { target_language: 'es' }, { 'idempotency-key': 'k' });
    expectProblem(res, 422, 'idempotency_key_reused');
  });

  it('accepts a 255-character key and refuses a longer or non-ASCII one with 400', async () => {
    const { app } = shared;
    expect((await post(app, {}, { 'idempotency-key': 'k'.repeat(255) })).statusCode).toBe(201);
    expectProblem(
      await post(app, {}, { 'idempotency-key': 'k'.repeat(256) }),
      400,
      'invalid_request',
    );
    expectProblem(await post(app, {}, { 'idempotency-key': 'has space' }), 400, 'invalid_request');
  });

  it('keeps keys per tenant', async () => {
    const { app } = shared;
    const a = await post(app, {}, { 'idempotency-key': 'same', 'x-test-tenant': 'a' });
    const b = await post(app, {}, { 'idempotency-key': 'same', 'x-test-tenant': 'b' });
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(b.json().id).not.toBe(a.json().id);
  });
});

describe('GET /v1/jobs/{id}', () => {
  it('moves from ETag W/"1" while pending to W/"2" once finished', async () => {
    const { app } = shared;
    const job = (await post(app, { simulate: { duration_ms: 1000, outcome: 'completed' } })).json();
    const pending = await app.inject({ method: 'GET', url: `/v1/jobs/${job.id}` });
    expect(pending.statusCode).toBe(200);
    expect(pending.headers.etag).toBe('W/"1"');
    expect(pending.headers['cache-control']).toBe('no-store');
    expect(pending.json()).toEqual(job);
    clock.advance(1000);
    const done = await app.inject({ method: 'GET', url: `/v1/jobs/${job.id}` });
    expect(done.headers.etag).toBe('W/"2"');
    expect(done.headers['retry-after']).toBeUndefined();
    expect(done.json()).toMatchObject({ status: 'completed', version: 2, progress: 1 });
  });

  it('sends Retry-After = max(1, ceil((eta - now) / 1 s)) while pending', async () => {
    const { app, context } = shared;
    const t0 = clock.now();
    const record: JobRecord = {
      id: 'job_retryafteraaaaaaaaa',
      tenant: 'public',
      sourceUrl: null,
      targetLanguage: null,
      callbackUrl: null,
      callbackEvents: null,
      createdAt: t0,
      etaAt: t0 + 10_000,
      // Finishes well after its eta, as a job may.
      finishAt: t0 + 20_000,
      outcome: 'completed',
      errorCode: null,
      errorMessage: null,
      canceledAt: null,
      emittedStep: 0,
    };
    await context.store.createJob(record, eventForStep(record, 0, t0));
    const cases: [number, string][] = [
      [0, '10'],
      [1, '10'],
      [999, '10'],
      [1000, '9'],
      [1001, '9'],
      [9999, '1'],
      [10_000, '1'],
      [15_000, '1'],
    ];
    for (const [offset, expected] of cases) {
      clock.set(t0 + offset);
      const res = await app.inject({ method: 'GET', url: `/v1/jobs/${record.id}` });
      expect([offset, res.headers['retry-after']]).toEqual([offset, expected]);
    }
  });

  it('answers an unknown id with a 404 problem', async () => {
    const { app } = shared;
    const res = await app.inject({ method: 'GET', url: '/v1/jobs/job_nope' });
    const problem = expectProblem(res, 404, 'job_not_found');
    expect(problem).toEqual({
      type: 'https://vtrans.dev/problems/job_not_found',
      title: 'Job not found',
      status: 404,
      detail: 'No job with id "job_nope"',
      code: 'job_not_found',
      instance: '/v1/jobs/job_nope',
      request_id: res.headers['x-request-id'],
    });
  });

  it("hides another tenant's job behind the same 404", async () => {
    const { app } = shared;
    const job = (await post(app, {}, { 'x-test-tenant': 'a' })).json();
    const res = await app.inject({
      method: 'GET',
      url: `/v1/jobs/${job.id}`,
      headers: { 'x-test-tenant': 'b' },
    });
    expectProblem(res, 404, 'job_not_found');
    const cancel = await app.inject({
      method: 'POST',
      url: `/v1/jobs/${job.id}/cancel`,
      headers: { 'x-test-tenant': 'b' },
    });
    expectProblem(cancel, 404, 'job_not_found');
  });
});

describe('POST /v1/jobs/{id}/cancel', () => {
  it('cancels a pending job (200), answers the same on a repeat, and the job stays canceled', async () => {
    const { app } = shared;
    const job = (await post(app, { simulate: { duration_ms: 1000 } })).json();
    clock.advance(300);
    const res = await app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/cancel` });
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('W/"2"');
    const canceled = res.json();
    expect(canceled).toMatchObject({
      id: job.id,
      status: 'canceled',
      stage: null,
      progress: 0.3,
      completed_at: new Date(clock.now()).toISOString(),
      eta: null,
      version: 2,
    });
    clock.advance(5000);
    const again = await app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/cancel` });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(canceled);
    const read = await app.inject({ method: 'GET', url: `/v1/jobs/${job.id}` });
    expect(read.json()).toEqual(canceled);
  });

  it('refuses to cancel a completed or failed job with 409', async () => {
    const { app } = shared;
    for (const outcome of ['completed', 'error'] as const) {
      const job = (await post(app, { simulate: { duration_ms: 0, outcome } })).json();
      const res = await app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/cancel` });
      const problem = expectProblem(res, 409, 'job_not_cancelable');
      expect(problem.detail).toBe(`Job ${job.id} already ended with status ${outcome}`);
    }
  });

  it('answers 404 for an unknown job', async () => {
    const { app } = shared;
    expectProblem(
      await app.inject({ method: 'POST', url: '/v1/jobs/job_nope/cancel' }),
      404,
      'job_not_found',
    );
  });
});

describe('GET /status', () => {
  it('answers the original bytes {"result":"pending"} for the default job', async () => {
    const { app } = await buildTestApp({ translationDelayMs: 60_000 });
    const res = await app.inject({ method: 'GET', url: '/status' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(JSON_TYPE);
    expect(res.body).toBe('{"result":"pending"}');
  });

  it('answers completed and error with the same shape once the default job ends', async () => {
    for (const [errorProbability, result] of [
      [0, 'completed'],
      [1, 'error'],
    ] as const) {
      const { app, close } = await buildTestApp({ translationDelayMs: 0, errorProbability });
      const res = await app.inject({ method: 'GET', url: '/status' });
      expect(res.body).toBe(`{"result":"${result}"}`);
      await close();
    }
  });

  it('answers any job with ?job_id=, reading canceled as "error"', async () => {
    const { app } = shared;
    const done = (await post(app, { simulate: { duration_ms: 0, outcome: 'completed' } })).json();
    const failed = (await post(app, { simulate: { duration_ms: 0, outcome: 'error' } })).json();
    const pending = (await post(app, { simulate: { duration_ms: 60_000 } })).json();
    const canceled = (await post(app, { simulate: { duration_ms: 60_000 } })).json();
    await app.inject({ method: 'POST', url: `/v1/jobs/${canceled.id}/cancel` });
    const status = async (id: string) =>
      (await app.inject({ method: 'GET', url: `/status?job_id=${id}` })).body;
    expect(await status(done.id)).toBe('{"result":"completed"}');
    expect(await status(failed.id)).toBe('{"result":"error"}');
    expect(await status(pending.id)).toBe('{"result":"pending"}');
    expect(await status(canceled.id)).toBe('{"result":"error"}');
  });

  it('keeps the default job out of the /v1 API: nobody lists, reads or cancels it', async () => {
    const { app, close } = await buildTestApp({ translationDelayMs: 60_000 });
    const list = (await app.inject({ method: 'GET', url: '/v1/jobs' })).json<{ data: unknown[] }>();
    expect(list.data).toEqual([]);
    // The id it had when it was a stored job is just an unknown id now.
    expect((await app.inject({ method: 'GET', url: '/v1/jobs/job_default' })).statusCode).toBe(404);
    const cancel = await app.inject({ method: 'POST', url: '/v1/jobs/job_default/cancel' });
    expect(cancel.statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/status' })).body).toBe('{"result":"pending"}');
    await close();
  });

  it('answers an unknown job_id with 404 and an empty one with 400', async () => {
    const { app } = shared;
    expectProblem(
      await app.inject({ method: 'GET', url: '/status?job_id=job_x' }),
      404,
      'job_not_found',
    );
    expectProblem(
      await app.inject({ method: 'GET', url: '/status?job_id=' }),
      400,
      'invalid_request',
    );
  });

  it('draws the default job afresh at each start, on the same SQLite file too', async () => {
    const store = `sqlite:${tempDir()}/vtrans.db`;
    const statusOf = async (options: { translationDelayMs: number; errorProbability: number }) => {
      const srv = await startTestServer({ store, ...options });
      const body = await (await fetch(`${srv.url}/status`)).text();
      await srv.close();
      return body;
    };
    expect(await statusOf({ translationDelayMs: 0, errorProbability: 1 })).toBe(
      '{"result":"error"}',
    );
    // A restart starts a new job, as the original server did: no outcome sticks in the store.
    expect(await statusOf({ translationDelayMs: 60_000, errorProbability: 1 })).toBe(
      '{"result":"pending"}',
    );
    expect(await statusOf({ translationDelayMs: 0, errorProbability: 0 })).toBe(
      '{"result":"completed"}',
    );
  });
});

describe('a finished job in the store', () => {
  it('is not cancelable even before the scheduler wrote its terminal event', async () => {
    const { app, context } = shared;
    const job = (await post(app, { simulate: { duration_ms: 10 } })).json();
    clock.advance(10);
    const record = await context.store.getJob(job.id);
    expect(record?.emittedStep).toBeLessThan(TERMINAL_STEP);
    const res = await app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/cancel` });
    expect(res.statusCode).toBe(409);
  });
});
