/**
 * What an operator reads about failing webhook receivers: the reason of a failed attempt at `warn`,
 * once per receiver and minute, the rest counted; a line when the receiver recovers.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ReceiverFailureLog, type FailedAttempt } from '../src/webhooks/failure-log.js';
import { createManualClock, startTestServer } from './helpers/server.js';
import { eventually, startReceiver } from './webhook-helpers.js';

type Line = Record<string, unknown> & { msg: string; level: number };

function capture(level = 'info') {
  const lines: Line[] = [];
  const logger = pino({ level }, { write: (l: string) => void lines.push(JSON.parse(l) as Line) });
  return { logger, lines };
}

const T0 = Date.UTC(2026, 0, 1, 12);
const HOOK = 'https://hooks.example.com:8443/in/T0K3N?sig=s3cret';

function attempt(overrides: Partial<FailedAttempt> = {}): FailedAttempt {
  return {
    delivery: { id: 'msg_job_a_9', jobId: 'job_a', eventType: 'job.completed', url: HOOK },
    attempt: 1,
    maxAttempts: 9,
    statusCode: 503,
    error: null,
    next: { kind: 'retry', atMs: T0 + 5000 },
    ...overrides,
  };
}

describe('ReceiverFailureLog', () => {
  it('writes why, which delivery and what next — naming the receiver by origin only', () => {
    const { logger, lines } = capture();
    const clock = createManualClock(T0);
    const log = new ReceiverFailureLog(logger, clock);
    log.failed(attempt());
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [
        40,
        'webhook to https://hooks.example.com:8443 failed: HTTP 503 (job.completed of job_a, attempt 1 of 9); retrying in 5 s',
      ],
    ]);
    expect(lines[0]?.webhook).toMatchObject({
      receiver: 'https://hooks.example.com:8443',
      deliveryId: 'msg_job_a_9',
      statusCode: 503,
      nextAttemptAt: new Date(T0 + 5000).toISOString(),
    });
    // The path and query of a callback URL can hold a token: never logged.
    expect(JSON.stringify(lines)).not.toMatch(/T0K3N|s3cret/);
  });

  it('counts a receiver’s further failures for a minute, then writes how many there were', () => {
    const { logger, lines } = capture();
    const clock = createManualClock(T0);
    const log = new ReceiverFailureLog(logger, clock);
    log.failed(attempt());
    for (let i = 0; i < 40; i++) {
      clock.advance(1000);
      log.failed(attempt({ attempt: 2, statusCode: 500 }));
    }
    log.failed(
      attempt({
        attempt: 9,
        error: 'timed out after 10000 ms',
        statusCode: null,
        next: { kind: 'gave-up' },
      }),
    );
    expect(lines).toHaveLength(1);
    clock.advance(20_000);
    log.failed(
      attempt({
        attempt: 3,
        error: 'connect ECONNREFUSED 10.0.0.7:8443',
        statusCode: null,
        next: { kind: 'retry', atMs: clock.now() + 120_000 },
      }),
    );
    expect(lines.map((l) => l.msg)).toEqual([
      expect.any(String),
      'webhook to https://hooks.example.com:8443 failed: connect ECONNREFUSED 10.0.0.7:8443 (job.completed of job_a, attempt 3 of 9); retrying in 2 min — and 41 more failed attempts since the last line (1 ended their delivery; last: timed out after 10000 ms)',
    ]);
  });

  it('says when a failing receiver answers again, and how many attempts failed before', () => {
    const { logger, lines } = capture();
    const clock = createManualClock(T0);
    const log = new ReceiverFailureLog(logger, clock);
    log.succeeded(HOOK);
    expect(lines).toEqual([]);
    log.failed(attempt());
    log.failed(attempt({ attempt: 2 }));
    log.failed(attempt({ attempt: 3 }));
    log.succeeded(`${HOOK}&other=1`);
    log.succeeded(HOOK);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [
        40,
        expect.stringMatching(/^webhook to https:\/\/hooks\.example\.com:8443 failed: HTTP 503/),
      ],
      [
        30,
        'webhooks to https://hooks.example.com:8443 are delivered again, after 3 failed attempts',
      ],
    ]);
  });

  it('says what ended a delivery: no retries left, or a 410', () => {
    const { logger, lines } = capture();
    const clock = createManualClock(T0);
    const log = new ReceiverFailureLog(logger, clock);
    log.failed(attempt({ attempt: 9, statusCode: 500, next: { kind: 'gave-up' } }));
    log.failed(
      attempt({
        delivery: { ...attempt().delivery, url: 'http://127.0.0.1:9/x' },
        statusCode: 410,
        next: { kind: 'stopped' },
      }),
    );
    expect(lines.map((l) => l.msg)).toEqual([
      'webhook to https://hooks.example.com:8443 failed: HTTP 500 (job.completed of job_a, attempt 9 of 9); no retries left: delivery failed',
      'webhook to http://127.0.0.1:9 failed: HTTP 410 (job.completed of job_a, attempt 1 of 9); the receiver asked to stop (410 Gone): no more attempts',
    ]);
  });

  it('keeps receivers apart, writes the counts left at shutdown, and remembers a bounded number', () => {
    const { logger, lines } = capture();
    const clock = createManualClock(T0);
    const log = new ReceiverFailureLog(logger, clock, { maxReceivers: 2 });
    const at = (host: string) =>
      attempt({ delivery: { ...attempt().delivery, url: `https://${host}/h` } });
    log.failed(at('a.example'));
    log.failed(at('b.example'));
    log.failed(at('b.example'));
    log.failed(at('b.example'));
    // A third receiver pushes out the least recently written one (a): nothing of it is unwritten.
    log.failed(at('c.example'));
    // a is written in full again, and pushes out b, whose two counted failures are written as it goes.
    log.failed(at('a.example'));
    log.failed(at('c.example'));
    log.flush();
    expect(lines.map((l) => l.msg)).toEqual([
      expect.stringMatching(/^webhook to https:\/\/a\.example failed/),
      expect.stringMatching(/^webhook to https:\/\/b\.example failed/),
      expect.stringMatching(/^webhook to https:\/\/c\.example failed/),
      expect.stringMatching(/^webhook to https:\/\/a\.example failed/),
      'webhook to https://b.example: 2 more failed attempts since the last line (last: HTTP 503)',
      // At shutdown: c's one counted failure.
      'webhook to https://c.example: 1 more failed attempt since the last line (last: HTTP 503)',
    ]);
  });
});

describe('a failing receiver in the server log', () => {
  it('one warn line with the reason, the next failures counted, and a line when it answers again', async () => {
    // One delivery whose first three attempts fail (HTTP 500); the fourth is answered 200.
    const receiver = await startReceiver([500, 500, 500], 200);
    const { logger, lines } = capture('info');
    const srv = await startTestServer({
      logger,
      webhookAllowHosts: ['127.0.0.1'],
      webhookRetryDelaysMs: [50, 50, 50],
      webhookPollIntervalMs: 50,
    });
    const hook = `${receiver.url}?token=s3cret`;
    const res = await fetch(`${srv.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        callback_url: hook,
        simulate: { duration_ms: 0, outcome: 'completed' },
      }),
    });
    expect(res.status).toBe(201);
    await receiver.waitFor(4);
    const about = () => lines.filter((l) => l.webhook !== undefined);
    await eventually(() => (about().some((l) => l.level === 30) ? true : undefined));
    await srv.close();
    const origin = new URL(receiver.url).origin;
    expect(about().map((l) => [l.level, l.msg])).toEqual([
      [
        40,
        expect.stringMatching(
          new RegExp(
            `^webhook to ${origin.replace(/[.:/]/g, '\\$&')} failed: HTTP 500 \\(job\\.completed of job_\\w+, attempt 1 of 4\\); retrying in \\d+ ms$`,
          ),
        ),
      ],
      [30, `webhooks to ${origin} are delivered again, after 3 failed attempts`],
    ]);
    expect(receiver.requests.map((r) => r.status)).toEqual([500, 500, 500, 200]);
    expect(JSON.stringify(lines)).not.toContain('s3cret');
  });
});
