import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  NotFoundError,
  VtransClient,
  WaitTimeoutError,
  type Job,
  type WaitTransport,
} from '@vtrans/client';
import { clientOnClock, createScaledClock, fixedRandom } from './helpers/clock.js';
import {
  completedJson,
  jobJson,
  sendJson,
  sendProblem,
  useScriptedServers,
} from './helpers/scripted-server.js';

const serve = useScriptedServers();

function preferWaitS(req: IncomingMessage): number | undefined {
  const match = /wait=(\d+)/.exec(String(req.headers.prefer ?? ''));
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** Answers like a long-polling server after `delayMs` of hold. */
function answerAfter(res: ServerResponse, delayMs: number, answer: () => void): void {
  const timer = setTimeout(answer, delayMs);
  res.on('close', () => clearTimeout(timer));
}

describe('waitForJob under faults', () => {
  it('retries a 503 with Retry-After, then long-polls to completion (2 requests)', async () => {
    const srv = await serve((req, res, i) => {
      if (i === 0) return sendProblem(res, 503, 'unavailable', { 'retry-after': '1' });
      expect(preferWaitS(req)).toBeGreaterThan(0);
      expect(req.headers['if-none-match']).toBe('W/"1"');
      answerAfter(res, 30, () =>
        sendJson(res, 200, completedJson(), { 'preference-applied': 'wait=50' }),
      );
    });
    const clock = createScaledClock(50);
    const client = clientOnClock(srv.url, clock);
    const transports: WaitTransport[] = [];
    const job = await client.waitForJob('job_test', {
      onUpdate: (_j, info) => transports.push(info.transport),
    });
    expect(job.status).toBe('completed');
    expect(srv.requests).toHaveLength(2);
    expect(clock.delays).toContain(1000);
    expect(transports).toEqual(['long-poll']);
  });

  it('re-arms a long poll with If-None-Match after a 304', async () => {
    const srv = await serve((_req, res, i) => {
      const applied = { 'preference-applied': 'wait=1', etag: 'W/"1"' };
      if (i === 0) return answerAfter(res, 1000, () => (res.writeHead(304, applied), res.end()));
      answerAfter(res, 10, () => sendJson(res, 200, completedJson(), applied));
    });
    const client = new VtransClient({ baseUrl: srv.url });
    const job = await client.waitForJob('job_test', { strategy: 'long-poll' });
    expect(job.version).toBe(2);
    expect(srv.requests.map((r) => [r.headers['if-none-match'], preferWaitS(r as never)])).toEqual([
      ['W/"1"', 50],
      ['W/"1"', 50],
    ]);
  });

  it('survives a connection reset and a malformed body in the middle of a wait', async () => {
    const srv = await serve((req, res, i) => {
      if (i === 0) {
        req.socket.destroy();
        return;
      }
      if (i === 1) {
        res.writeHead(200, { 'preference-applied': 'wait=50' }).end('{oops');
        return;
      }
      sendJson(res, 200, completedJson(), { 'preference-applied': 'wait=50' });
    });
    const client = new VtransClient(
      { baseUrl: srv.url, retry: { baseDelayMs: 5 } },
      { random: fixedRandom() },
    );
    expect((await client.waitForJob('job_test')).status).toBe('completed');
    expect(srv.requests).toHaveLength(3);
  });

  it('fails at once with NotFoundError for an unknown job (1 request)', async () => {
    const srv = await serve((_req, res) => sendProblem(res, 404, 'job_not_found'));
    const client = new VtransClient({ baseUrl: srv.url });
    await expect(client.waitForJob('job_nope')).rejects.toBeInstanceOf(NotFoundError);
    expect(srv.requests).toHaveLength(1);
  });

  it('never treats an unknown status as done, nor loops on a server that answers at once', async () => {
    const srv = await serve((_req, res) =>
      sendJson(res, 200, jobJson({ status: 'paused', version: 2 }), {
        'preference-applied': 'wait=50',
      }),
    );
    const client = new VtransClient({ baseUrl: srv.url }, { random: fixedRandom(0) });
    const statuses: string[] = [];
    const error: unknown = await client
      .waitForJob('job_test', { timeoutMs: 1500, onUpdate: (j) => statuses.push(j.status) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as WaitTimeoutError).lastJob?.status).toBe('paused');
    expect(statuses).toEqual(['paused']);
    // Backoff 125, 250, 500 ms, then 250 ms polls in the last second, plus the final check: a
    // tight loop would make hundreds.
    expect(srv.requests.length).toBeLessThanOrEqual(10);
    expect(srv.requests.length).toBeGreaterThanOrEqual(3);
  });

  it('falls back to polling from eta when the server ignores Prefer: wait', async () => {
    const clock = createScaledClock(10);
    const createdAt = clock.now();
    const finishAt = createdAt + 10_500;
    const srv = await serve((_req, res) => {
      const now = clock.now();
      const done = now >= finishAt;
      const body = done
        ? completedJson({ created_at: new Date(createdAt).toISOString() })
        : jobJson({
            created_at: new Date(createdAt).toISOString(),
            eta: new Date(createdAt + 10_000).toISOString(),
          });
      const retryAfter = String(Math.max(1, Math.ceil((createdAt + 10_000 - now) / 1000)));
      sendJson(res, 200, body, done ? {} : { 'retry-after': retryAfter });
    });
    const client = clientOnClock(srv.url, clock);
    const transports = new Set<WaitTransport>();
    const job = await client.waitForJob('job_test', {
      onUpdate: (_j, i) => transports.add(i.transport),
    });
    const latenessMs = clock.now() - finishAt;
    expect(job.status).toBe('completed');
    expect([...transports]).toEqual(['poll']);
    expect(srv.requests.length).toBeLessThanOrEqual(10);
    expect(latenessMs).toBeLessThan(1500);
    // The first poll after the initial answer waits for the window's start (eta − 40 % = 6 s).
    expect(clock.delays.some((d) => d > 2000 && d <= 6000)).toBe(true);
  });

  it('polls without hints on the capped schedule, never tighter than 250 ms', async () => {
    const clock = createScaledClock(20);
    const startedAt = clock.now();
    const srv = await serve((_req, res) => {
      const done = clock.now() - startedAt > 4000;
      sendJson(res, 200, done ? completedJson() : jobJson());
    });
    const client = clientOnClock(srv.url, clock, { random: 0 });
    await client.waitForJob('job_test', { strategy: 'poll' });
    const gaps = srv.requests.slice(1).map((r, i) => (r.atMs - (srv.requests[i]?.atMs ?? 0)) * 20);
    expect(gaps.every((gap) => gap >= 200)).toBe(true);
    expect(srv.requests.length).toBeLessThanOrEqual(14);
  });

  it('aborts a held long poll within a few ms, with the reason, and sends nothing more', async () => {
    const srv = await serve(() => undefined);
    const client = new VtransClient({ baseUrl: srv.url });
    const controller = new AbortController();
    const reason = new DOMException('stop', 'AbortError');
    const wait = client.waitForJob('job_test', { signal: controller.signal });
    while (srv.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const abortedAt = performance.now();
    controller.abort(reason);
    const error: unknown = await wait.catch((e: unknown) => e);
    const settleMs = performance.now() - abortedAt;
    expect(error).toBe(reason);
    expect(settleMs).toBeLessThan(50);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(srv.requests).toHaveLength(1);
    expect(srv.closedEarly).toEqual([0]);
  });

  it('rejects at once with an already-aborted signal, sending nothing', async () => {
    const srv = await serve(() => undefined);
    const client = new VtransClient({ baseUrl: srv.url });
    const reason = { custom: true };
    await expect(client.waitForJob('job_test', { signal: AbortSignal.abort(reason) })).rejects.toBe(
      reason,
    );
    expect(srv.requests).toHaveLength(0);
  });

  it('keeps holds within the deadline, checks once more, and times out on time', async () => {
    const srv = await serve((req, res) => {
      const waitS = preferWaitS(req);
      if (waitS === undefined) return sendJson(res, 200, jobJson());
      answerAfter(res, waitS * 1000, () => {
        res.writeHead(304, { 'preference-applied': `wait=${waitS}`, etag: 'W/"1"' });
        res.end();
      });
    });
    const client = new VtransClient({ baseUrl: srv.url });
    const startedAt = performance.now();
    const error: unknown = await client
      .waitForJob('job_test', { timeoutMs: 1300 })
      .catch((e: unknown) => e);
    const elapsedMs = performance.now() - startedAt;
    expect(error).toBeInstanceOf(WaitTimeoutError);
    const timeout = error as WaitTimeoutError;
    expect(timeout.jobId).toBe('job_test');
    expect(timeout.lastJob?.status).toBe('pending');
    expect(timeout.requests).toBe(srv.requests.length);
    // The target is ≤ 50 ms either side; the margin absorbs timer lag on a loaded CI machine.
    expect(elapsedMs).toBeGreaterThan(1250);
    expect(elapsedMs).toBeLessThan(1300 + 100);
    expect(preferWaitS(srv.requests[0] as never)).toBe(1);
    expect(srv.requests.slice(1).every((r) => preferWaitS(r as never) === undefined)).toBe(true);
  });

  it('resumes an SSE stream with Last-Event-ID after it drops', async () => {
    const event = (id: number, type: string, job: object): string =>
      `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(job)}\n\n`;
    const srv = await serve((req, res, i) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (i === 0) {
        res.write(event(1, 'job.created', jobJson()));
        setTimeout(() => req.socket.destroy(), 20);
        return;
      }
      res.write(': heartbeat\n\n');
      res.end(event(2, 'job.completed', completedJson()));
    });
    const client = new VtransClient({ baseUrl: srv.url, retry: { baseDelayMs: 5 } });
    const seen: [string, WaitTransport][] = [];
    const job: Job = await client.waitForJob('job_test', {
      strategy: 'sse',
      onUpdate: (j, info) => seen.push([j.status, info.transport]),
    });
    expect(job.status).toBe('completed');
    expect(seen).toEqual([
      ['pending', 'sse'],
      ['completed', 'sse'],
    ]);
    expect(srv.requests.map((r) => [r.url, r.headers['last-event-id']])).toEqual([
      ['/v1/jobs/job_test/events', undefined],
      ['/v1/jobs/job_test/events', '1'],
    ]);
  });

  it('reconnects an SSE stream that goes silent past the idle timeout', async () => {
    const srv = await serve((_req, res, i) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (i === 0) return void res.write(`id: 1\ndata: ${JSON.stringify(jobJson())}\n\n`);
      res.end(`id: 2\ndata: ${JSON.stringify(completedJson())}\n\n`);
    });
    const clock = createScaledClock(500);
    const client = clientOnClock(srv.url, clock);
    const job = await client.waitForJob('job_test', { strategy: 'sse' });
    expect(job.status).toBe('completed');
    expect(srv.requests).toHaveLength(2);
    expect(srv.requests[1]?.headers['last-event-id']).toBe('1');
    expect(clock.delays).toContain(45_000);
  });
});
