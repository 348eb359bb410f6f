import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  InternalServerError,
  MalformedResponseError,
  NetworkError,
  TimeoutError,
  VtransClient,
  isApiError,
} from '@vtrans/client';
import { clientOnClock, createScaledClock, fixedRandom } from './helpers/clock.js';
import { jobJson, sendJson, sendProblem, useScriptedServers } from './helpers/scripted-server.js';

const serve = useScriptedServers();

describe('plain calls under faults', () => {
  it('retries a 503 after its Retry-After, then succeeds (2 requests)', async () => {
    const srv = await serve((_req, res, i) => {
      if (i === 0) sendProblem(res, 503, 'unavailable', { 'retry-after': '2' });
      else sendJson(res, 200, jobJson());
    });
    const clock = createScaledClock(100);
    const client = clientOnClock(srv.url, clock);
    const job = await client.getJob('job_test');
    expect(job.id).toBe('job_test');
    expect(srv.requests).toHaveLength(2);
    expect(clock.delays).toContain(2000);
  });

  it('sends the bearer key and the same generated Idempotency-Key on every retry', async () => {
    const srv = await serve((_req, res, i) => {
      if (i === 0) sendProblem(res, 502, 'bad_gateway');
      else sendJson(res, 201, jobJson());
    });
    const client = new VtransClient(
      { baseUrl: srv.url, apiKey: 'sk_test', retry: { baseDelayMs: 1 } },
      { random: fixedRandom() },
    );
    await client.createJob({ target_language: 'fr' });
    const [first, second] = srv.requests;
    expect(first?.headers.authorization).toBe('Bearer sk_test');
    expect(first?.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(second?.headers['idempotency-key']).toBe(first?.headers['idempotency-key']);
  });

  it('fails at once with a typed ApiError on other 4xx (1 request)', async () => {
    const srv = await serve((_req, res) => sendProblem(res, 401, 'unauthorized'));
    const client = new VtransClient({ baseUrl: srv.url });
    const error: unknown = await client.getJob('job_test').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(isApiError(error) && error.code).toBe('unauthorized');
    expect(isApiError(error) && error.requestId).toBe('req_0');
    expect(isApiError(error) && error.problem?.detail).toBe('detail of unauthorized');
    expect(srv.requests).toHaveLength(1);
  });

  it('gives up after maxRetries with the last error', async () => {
    const srv = await serve((_req, res) => sendProblem(res, 500, 'boom'));
    const client = new VtransClient({ baseUrl: srv.url, retry: { maxRetries: 2, baseDelayMs: 1 } });
    await expect(client.getJob('job_test')).rejects.toBeInstanceOf(InternalServerError);
    expect(srv.requests).toHaveLength(3);
  });

  it('times out a hanging request and cancels it on the server side', async () => {
    const srv = await serve(() => undefined);
    const client = new VtransClient({
      baseUrl: srv.url,
      requestTimeoutMs: 250,
      retry: { maxRetries: 1, baseDelayMs: 1 },
    });
    const error: unknown = await client.getJob('job_test').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(srv.requests).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(srv.closedEarly).toEqual([0, 1]);
  });

  it('retries a reset connection, and reports NetworkError with its cause when it persists', async () => {
    let resets = 1;
    const srv = await serve((req, res) => {
      if (resets-- > 0) req.socket.destroy();
      else sendJson(res, 200, jobJson());
    });
    const client = new VtransClient({ baseUrl: srv.url, retry: { baseDelayMs: 1 } });
    expect((await client.getJob('job_test')).id).toBe('job_test');
    expect(srv.requests).toHaveLength(2);

    resets = 100;
    const strict = new VtransClient({ baseUrl: srv.url, retry: { maxRetries: 0 } });
    const error: unknown = await strict.getJob('job_test').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).cause).toBeDefined();
  });

  it('treats a malformed JSON body as transient', async () => {
    const srv = await serve((_req, res, i) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(i === 0 ? '{"id": "job_te' : JSON.stringify(jobJson()));
    });
    const client = new VtransClient({ baseUrl: srv.url, retry: { baseDelayMs: 1 } });
    expect((await client.getJob('job_test')).id).toBe('job_test');
    expect(srv.requests).toHaveLength(2);
  });

  it('reports MalformedResponseError when a 200 is not a job and no retry is left', async () => {
    const srv = await serve((_req, res) => sendJson(res, 200, { not: 'a job' }));
    const client = new VtransClient({ baseUrl: srv.url, retry: { maxRetries: 0 } });
    const error: unknown = await client.getJob('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect((error as MalformedResponseError).requestId).toBe('req_0');
    expect(srv.requests).toHaveLength(1);
  });

  it('stops retrying when the retry budget is spent', async () => {
    const srv = await serve((_req, res) => sendProblem(res, 503, 'down'));
    const client = new VtransClient({
      baseUrl: srv.url,
      retry: { maxRetries: 5, baseDelayMs: 1, budget: { capacity: 2, refillPerSecond: 0 } },
    });
    await expect(client.getJob('a')).rejects.toBeInstanceOf(InternalServerError);
    expect(srv.requests).toHaveLength(3);
    await expect(client.getJob('b')).rejects.toBeInstanceOf(InternalServerError);
    expect(srv.requests).toHaveLength(4);
  });

  it('rejects with the abort reason unchanged and sends nothing once aborted', async () => {
    const srv = await serve(() => undefined);
    const client = new VtransClient({ baseUrl: srv.url });
    const controller = new AbortController();
    const reason = new Error('user gave up');
    const pending = client.getJob('job_test', { signal: controller.signal });
    while (srv.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await expect(client.getJob('job_test', { signal: controller.signal })).rejects.toBe(reason);
    expect(srv.requests).toHaveLength(1);
  });
});
