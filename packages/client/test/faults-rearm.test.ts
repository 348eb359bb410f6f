/**
 * Partial failure while waits are held: a failed re-arm of a long poll, a batch long poll
 * or an event stream is retried almost at once unless the server said `Retry-After`, and backs off
 * only on failures in a row; successful answers refill the retry budget, so waits on a client that
 * meets many scattered failures are not starved.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { VtransClient, type WaitTransport } from '@vtrans/client';
import { TUNING } from '../src/internal/tuning.js';
import { clientOnClock, createScaledClock, fixedRandom } from './helpers/clock.js';
import {
  completedJson,
  idsOf,
  jobJson,
  sendJson,
  sendProblem,
  useScriptedServers,
} from './helpers/scripted-server.js';

const serve = useScriptedServers();

const HELD = { 'preference-applied': 'wait=50' };

/** Answers after `delayMs` of real time, unless the client gave up first. */
function answerAfter(res: ServerResponse, delayMs: number, answer: () => void): void {
  const timer = setTimeout(answer, delayMs);
  res.on('close', () => clearTimeout(timer));
}

/** Sleeps among the scheduled delays: not 0 ms yields, request or idle timeouts, or deadlines. */
function retrySleeps(delays: readonly number[]): number[] {
  return delays.filter((d) => d > 0 && d < 10_000);
}

// With random() = 0.5: a quick re-arm waits 50 × 0.75 = 38 ms; backoff from 500 ms waits 375 ms.
const QUICK_MS = 38;
const BACKOFF_MS = 375;

describe('re-arming held waits after a failure', () => {
  it('retries a failed long poll almost at once, backs off on a second failure in a row, and obeys Retry-After', async () => {
    const srv = await serve((_req, res, i) => {
      if (i === 0 || i === 1) return sendProblem(res, 500, 'boom');
      if (i === 2) {
        // A full hold (40 ms real = 40 s on the clock) with no change: a success.
        return answerAfter(res, 40, () => {
          res.writeHead(304, { ...HELD, etag: 'W/"1"' });
          res.end();
        });
      }
      if (i === 3) return sendProblem(res, 503, 'busy', { 'retry-after': '1' });
      sendJson(res, 200, completedJson(), HELD);
    });
    const clock = createScaledClock(1000);
    const client = clientOnClock(srv.url, clock);
    const job = await client.waitForJob('job_test');
    expect(job.status).toBe('completed');
    expect(srv.requests).toHaveLength(5);
    // 500 → at once; 500 again → backoff; held 304; 503 with Retry-After: 1 → 1 s.
    expect(retrySleeps(clock.delays)).toEqual([QUICK_MS, BACKOFF_MS, 1000]);
  });

  it('re-arms a failed batch long poll almost at once, so the other waits on it stay informed', async () => {
    const finishedB = { value: false };
    const srv = await serve((req, res, i) => {
      const ids = idsOf(req);
      const page = (done: (id: string) => boolean) => ({
        data: ids.map((id) => (done(id) ? completedJson({ id }) : jobJson({ id }))),
        next_cursor: null,
        not_found: [],
      });
      if (i === 0)
        return sendJson(
          res,
          200,
          page(() => false),
          { etag: 'W/"s1"' },
        );
      if (i === 1) {
        return answerAfter(res, 20, () =>
          sendJson(
            res,
            200,
            page((id) => id === 'job_a'),
            { ...HELD, etag: 'W/"s2"' },
          ),
        );
      }
      if (i === 2) return sendProblem(res, 500, 'boom');
      expect(req.headers['if-none-match']).toBe('W/"s2"');
      finishedB.value = true;
      sendJson(
        res,
        200,
        page(() => true),
        { ...HELD, etag: 'W/"s3"' },
      );
    });
    const clock = createScaledClock(1000);
    const client = clientOnClock(srv.url, clock);
    const transports: WaitTransport[] = [];
    const onUpdate = (_job: unknown, info: { transport: WaitTransport }) =>
      transports.push(info.transport);
    const done = await Promise.all([
      client.waitForJob('job_a', { onUpdate }),
      client.waitForJob('job_b', { onUpdate }),
    ]);
    expect(done.map((job) => job.status)).toEqual(['completed', 'completed']);
    expect(finishedB.value).toBe(true);
    expect(srv.requests).toHaveLength(4);
    // The window in which the second wait joined the first, then the quick re-arm.
    expect(retrySleeps(clock.delays)).toEqual([TUNING.joinCoalesceMs, QUICK_MS]);
  });

  it('reconnects a dropped event stream at once with Last-Event-ID, then quickly, then backing off', async () => {
    const srv = await serve((req, res, i) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (i === 0) res.write(`id: 1\ndata: ${JSON.stringify(jobJson())}\n\n`);
      if (i <= 2) return void setTimeout(() => req.socket.destroy(), 20);
      res.end(`id: 2\ndata: ${JSON.stringify(completedJson())}\n\n`);
    });
    const clock = createScaledClock(10);
    const client = clientOnClock(srv.url, clock);
    const job = await client.waitForJob('job_test', { strategy: 'sse' });
    expect(job.status).toBe('completed');
    expect(srv.requests.map((r) => r.headers['last-event-id'])).toEqual([undefined, '1', '1', '1']);
    // Cut after an event → at once (0 ms, not a sleep); cut empty → quick; again → backoff.
    expect(retrySleeps(clock.delays)).toEqual([QUICK_MS, BACKOFF_MS]);
  });
});

describe('the retry budget under partial failure', () => {
  it('lets a wait that ran out of tokens retry as soon as another answer succeeds', async () => {
    let xRequests = 0;
    const srv = await serve((req, res) => {
      if (req.url === '/v1/jobs/job_y') {
        return answerAfter(res, 1500, () =>
          sendJson(res, 200, completedJson({ id: 'job_y' }), HELD),
        );
      }
      xRequests += 1;
      if (xRequests <= 2) return sendProblem(res, 500, 'boom');
      sendJson(res, 200, completedJson({ id: 'job_x' }), HELD);
    });
    // One token and no refill with time: only a success can pay for job_x's second retry.
    const client = new VtransClient(
      {
        baseUrl: srv.url,
        retry: { budget: { capacity: 1, refillPerSecond: 0, refillPerSuccess: 1 } },
      },
      { random: fixedRandom() },
    );
    const transports: WaitTransport[] = [];
    const [x, y] = await Promise.all([
      client.waitForJob('job_x', {
        strategy: 'long-poll',
        timeoutMs: 10_000,
        onUpdate: (_job, info) => transports.push(info.transport),
      }),
      client.waitForJob('job_y', { strategy: 'long-poll', timeoutMs: 10_000 }),
    ]);
    expect([x.status, y.status]).toEqual(['completed', 'completed']);
    expect(xRequests).toBe(3);
    // Through its own long poll, not the last check before the deadline (a plain poll).
    expect(transports).toEqual(['long-poll']);
  });
});
