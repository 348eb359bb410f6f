/**
 * Partial failure while waits are held (issue 8): successful answers refill the retry budget, so
 * waits on a client that meets many scattered failures are not starved.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { VtransClient, type WaitTransport } from '@vtrans/client';
import { fixedRandom } from './helpers/clock.js';
import {
  completedJson,
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
