import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  InternalServerError,
  VtransClient,
  WaitTimeoutError,
  type Job,
  type WaitTransport,
} from '@vtrans/client';
import { fixedRandom } from './helpers/clock.js';
import {
  completedJson,
  idsOf,
  jobJson,
  sendJson,
  sendProblem,
  useScriptedServers,
} from './helpers/scripted-server.js';

const serve = useScriptedServers();

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('more faults', () => {
  it('does not sleep through a Retry-After longer than a minute on a plain call', async () => {
    const srv = await serve((_req, res) =>
      sendProblem(res, 503, 'maintenance', { 'retry-after': '3600' }),
    );
    const client = new VtransClient({ baseUrl: srv.url });
    const error: unknown = await client.getJob('job_test').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InternalServerError);
    expect((error as InternalServerError).retryAfterMs).toBe(3_600_000);
    expect(srv.requests).toHaveLength(1);
  });

  it('slows a wait to the retry budget during an outage instead of hammering', async () => {
    const srv = await serve((_req, res) => sendProblem(res, 503, 'down'));
    const client = new VtransClient(
      {
        baseUrl: srv.url,
        retry: { baseDelayMs: 1, maxDelayMs: 2, budget: { capacity: 2, refillPerSecond: 5 } },
      },
      { random: fixedRandom() },
    );
    const error: unknown = await client
      .waitForJob('job_test', { timeoutMs: 1000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    // 2 tokens at once, 5 more over the second, the first request and the final check: without
    // the budget a 1–2 ms backoff would send hundreds.
    expect(srv.requests.length).toBeGreaterThanOrEqual(6);
    expect(srv.requests.length).toBeLessThanOrEqual(11);
  });

  it('watchJob yields each change, then ends; breaking out aborts the wait', async () => {
    let step = 0;
    const srv = await serve((_req, res) => {
      const applied = { 'preference-applied': 'wait=50' };
      step += 1;
      if (step === 1)
        return sendJson(res, 200, jobJson({ stage: 'transcribing', progress: 0.2 }), applied);
      if (step === 2) return sendJson(res, 200, completedJson(), applied);
      if (step === 11) return sendJson(res, 200, jobJson(), applied);
    });
    const client = new VtransClient({ baseUrl: srv.url });
    const seen: string[] = [];
    for await (const job of client.watchJob('job_test', { strategy: 'long-poll' }))
      seen.push(job.status);
    expect(seen).toEqual(['pending', 'completed']);

    step = 10;
    const before = srv.requests.length;
    for await (const _job of client.watchJob('job_test', { strategy: 'long-poll' })) break;
    // The second watch's re-armed long poll is held forever: breaking must end it.
    await tick(50);
    expect(srv.requests.length).toBeLessThanOrEqual(before + 2);
    expect(srv.closedEarly.every((i) => i >= before)).toBe(true);
    const count = srv.requests.length;
    await tick(100);
    expect(srv.requests.length).toBe(count);
  });

  it('translate creates with an idempotency key and waits from the created job', async () => {
    const srv = await serve((req, res) => {
      if (req.method === 'POST') return sendJson(res, 201, jobJson());
      sendJson(res, 200, completedJson(), { 'preference-applied': 'wait=50' });
    });
    const client = new VtransClient({ baseUrl: srv.url });
    const updates: [string, WaitTransport][] = [];
    const job = await client.translate(
      { target_language: 'ja' },
      { idempotencyKey: 'k-1', onUpdate: (j, i) => updates.push([j.status, i.transport]) },
    );
    expect(job.status).toBe('completed');
    expect(
      srv.requests.map((r) => [r.method, r.headers['idempotency-key'], r.headers['if-none-match']]),
    ).toEqual([
      ['POST', 'k-1', undefined],
      ['GET', undefined, 'W/"1"'],
    ]);
    expect(updates.map((u) => u[0])).toEqual(['pending', 'completed']);
  });

  it('resumes the shared event stream with Last-Event-ID for more than 100 waits', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => `job_${String(i).padStart(3, '0')}`);
    let streams = 0;
    const srv = await serve((req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '', 'http://x');
      if (url.pathname === '/v1/jobs') {
        const data = idsOf(req).map((id) => jobJson({ id }));
        return sendJson(res, 200, { data, next_cursor: null, not_found: [] }, { etag: 'W/"b"' });
      }
      expect(url.pathname).toBe('/v1/events');
      streams += 1;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': connected\n\n');
      const send = (n: number) =>
        res.write(
          `id: 1-${n}\nevent: job.completed\ndata: ${JSON.stringify(completedJson({ id: ids[n] }))}\n\n`,
        );
      if (streams === 1) {
        setTimeout(() => {
          for (let n = 0; n < 50; n += 1) send(n);
          setTimeout(() => req.socket.destroy(), 20);
        }, 50);
      } else {
        for (let n = 50; n < ids.length; n += 1) send(n);
      }
    });
    const client = new VtransClient({ baseUrl: srv.url, retry: { baseDelayMs: 5 } });
    const transports = new Set<WaitTransport>();
    const done: Job[] = await Promise.all(
      ids.map((id) => client.waitForJob(id, { onUpdate: (_j, i) => transports.add(i.transport) })),
    );
    expect(done.every((job) => job.status === 'completed')).toBe(true);
    const eventRequests = srv.requests.filter((r) => r.url === '/v1/events');
    expect(eventRequests.map((r) => r.headers['last-event-id'])).toEqual([undefined, '1-49']);
    // Catch-up after the first connection only: 101 ids in batches of 100.
    expect(srv.requests.filter((r) => r.url.startsWith('/v1/jobs?'))).toHaveLength(2);
    expect([...transports].sort()).toEqual(['events']);
  });

  for (const [status, what] of [
    [404, 'a server without /v1/events'],
    [503, 'an event stream that keeps failing'],
  ] as const) {
    it(`serves more than 100 waits by batch polling on ${what} (${status})`, async () => {
      const ids = Array.from({ length: 150 }, (_, i) => `job_${i}`);
      let polls = 0;
      const srv = await serve((req, res) => {
        if (req.url === '/v1/events') return sendProblem(res, status, 'nope');
        polls += 1;
        // Pending on the first round, done on the second.
        const data = idsOf(req).map((id) => (polls <= 2 ? jobJson({ id }) : completedJson({ id })));
        sendJson(res, 200, { data, next_cursor: null, not_found: [] });
      });
      const client = new VtransClient(
        { baseUrl: srv.url, retry: { baseDelayMs: 5, maxDelayMs: 10 } },
        { random: fixedRandom() },
      );
      const done = await Promise.all(ids.map((id) => client.waitForJob(id, { timeoutMs: 10_000 })));
      expect(done.every((job) => job.status === 'completed')).toBe(true);
      const batches = srv.requests.filter((r) => r.url.startsWith('/v1/jobs?'));
      expect(batches.every((r) => idsOf(r as never).length <= 100)).toBe(true);
      expect(batches.length).toBeLessThanOrEqual(6);
    });
  }

  it('coalesces waits joining one after another into shared batch re-arms, not one per join', async () => {
    const finishAt = Date.now() + 300;
    const srv = await serve((req, res) => {
      const isHeld = req.headers.prefer !== undefined;
      const ids = req.url?.startsWith('/v1/jobs?') ? idsOf(req) : [req.url?.split('/')[3] ?? ''];
      const answer = () => {
        const done = Date.now() >= finishAt;
        const data = ids.map((id) => (done ? completedJson({ id }) : jobJson({ id })));
        const headers = { etag: `W/"${done ? 2 : 1}"`, 'preference-applied': 'wait=50' };
        if (req.url?.startsWith('/v1/jobs?'))
          sendJson(res, 200, { data, next_cursor: null, not_found: [] }, headers);
        else sendJson(res, 200, data[0], headers);
      };
      if (!isHeld) return answer();
      const timer = setTimeout(answer, Math.max(0, finishAt - Date.now()));
      res.on('close', () => clearTimeout(timer));
    });
    let sent = 0;
    const client = new VtransClient({
      baseUrl: srv.url,
      fetch: (input, init) => {
        sent += 1;
        return fetch(input, init);
      },
    });
    const waits: Promise<Job>[] = [];
    for (let i = 0; i < 5; i += 1) {
      waits.push(client.waitForJob(`job_${i}`));
      await tick(4);
    }
    const done = await Promise.all(waits);
    expect(done.every((job) => job.status === 'completed')).toBe(true);
    const snapshots = srv.requests.filter(
      (r) => r.url.startsWith('/v1/jobs?') && r.headers.prefer === undefined,
    );
    // Joins 4 ms apart fall within one 25 ms window: one re-arm (a single long poll, then one
    // snapshot and one held batch). On a busy machine the five joins may straddle two windows
    // (5 requests); one re-arm per join would be 9.
    expect(snapshots.length).toBeLessThanOrEqual(2);
    expect(sent).toBeLessThanOrEqual(1 + 2 * snapshots.length);
  });

  it('aborts an SSE wait mid-stream and closes the stream', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`id: 1\ndata: ${JSON.stringify(jobJson())}\n\n`);
    });
    const client = new VtransClient({ baseUrl: srv.url });
    const controller = new AbortController();
    const wait = client.waitForJob('job_test', { strategy: 'sse', signal: controller.signal });
    while (srv.requests.length === 0) await tick(5);
    await tick(30);
    controller.abort('enough');
    await expect(wait).rejects.toBe('enough');
    await tick(50);
    expect(srv.closedEarly).toEqual([0]);
    expect(srv.requests).toHaveLength(1);
  });
});
