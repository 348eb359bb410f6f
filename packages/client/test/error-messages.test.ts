/**
 * What a user reads when the server is down, unknown, resets or stalls: every message names the
 * server and the reason, and a wait that times out while its requests fail says why. Real
 * sockets where Node can make the failure (a closed port, an unknown host, a reset); the error
 * shapes of Bun, Deno and browsers, which this runtime cannot produce, as they were recorded.
 */
import { describe, expect, it } from 'vitest';
import {
  NetworkError,
  TimeoutError,
  VtransClient,
  WaitTimeoutError,
  isNetworkError,
  type WaitStrategy,
} from '@vtrans/client';
import { failureReason } from '../src/internal/network-failure.js';
import { clientOnClock, createScaledClock } from './helpers/clock.js';
import {
  jobJson,
  sendCutShort,
  sendJson,
  sendProblem,
  useScriptedServers,
} from './helpers/scripted-server.js';
import { freePort } from '@vtrans/test-support';

const serve = useScriptedServers();

/** The rejection of `promise` (fails the test if it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('a request that gets no answer', () => {
  it('names the server and ECONNREFUSED when nothing listens', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const client = new VtransClient({ baseUrl: url, retry: { maxRetries: 0 } });
    const error = await rejectionOf(client.getJob('job_abc'));
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).message).toBe(
      `Cannot reach ${url} (ECONNREFUSED) for GET /v1/jobs/job_abc`,
    );
    expect(error).toMatchObject({ reason: 'ECONNREFUSED', url: `${url}/v1/jobs/job_abc` });
    // The runtime's own error stays available.
    expect((error as NetworkError).cause).toBeInstanceOf(Error);
  });

  it('names an unknown host and the DNS failure', async () => {
    const client = new VtransClient({
      baseUrl: 'http://no-such-host.invalid',
      retry: { maxRetries: 0 },
    });
    const error = (await rejectionOf(client.getJob('job_abc'))) as NetworkError;
    // ENOTFOUND with a resolver, EAI_AGAIN on a machine without one.
    expect(error.message).toMatch(
      /^Cannot reach http:\/\/no-such-host\.invalid \((ENOTFOUND|EAI_AGAIN)\) for GET \/v1\/jobs\/job_abc$/,
    );
  });

  it('says the connection was reset after the request was sent', async () => {
    const srv = await serve((req) => void req.socket.resetAndDestroy());
    const client = new VtransClient({ baseUrl: srv.url, retry: { maxRetries: 0 } });
    const error = (await rejectionOf(client.cancelJob('job_abc'))) as NetworkError;
    expect(error.message).toBe(
      `No answer from ${srv.url} to POST /v1/jobs/job_abc/cancel (ECONNRESET)`,
    );
    expect(error.reason).toBe('ECONNRESET');
  });

  it('says an answer broke off, and why', async () => {
    const srv = await serve((_req, res) =>
      sendCutShort(res, 200, jobJson(), {}, { share: 0.5, mode: 'truncate' }),
    );
    const client = new VtransClient({ baseUrl: srv.url, retry: { maxRetries: 0 } });
    const error = (await rejectionOf(client.getJob('job_test'))) as NetworkError;
    expect(error.message).toBe(
      `The answer from ${srv.url} to GET /v1/jobs/job_test broke off (other side closed)`,
    );
  });

  it('names the server and the time a request waited for in vain', async () => {
    const srv = await serve(() => undefined);
    const client = new VtransClient({
      baseUrl: srv.url,
      requestTimeoutMs: 100,
      retry: { maxRetries: 0 },
    });
    const error = (await rejectionOf(client.getJob('job_abc'))) as TimeoutError;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.message).toBe(`No answer from ${srv.url} to GET /v1/jobs/job_abc within 100 ms`);
    expect([error.timeoutMs, error.url]).toEqual([100, `${srv.url}/v1/jobs/job_abc`]);
  });

  it('names the server of an answer that is not JSON', async () => {
    const srv = await serve((_req, res) => void res.writeHead(200).end('<html>'));
    const client = new VtransClient({ baseUrl: srv.url, retry: { maxRetries: 0 } });
    const error = (await rejectionOf(client.getJob('job_abc'))) as Error;
    expect(error.message).toBe(`The answer from ${srv.url} to GET /v1/jobs/job_abc is not JSON`);
  });
});

describe('the reason, as each runtime gives it', () => {
  /** Builds an error like a runtime's: a message, optional fields, an optional cause. */
  const runtimeError = (
    message: string,
    fields: Record<string, unknown> = {},
    cause?: Error,
  ): Error => Object.assign(new TypeError(message, cause ? { cause } : undefined), fields);

  it.each([
    [
      'Node: the code one cause deep',
      runtimeError(
        'fetch failed',
        {},
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3999'), { code: 'ECONNREFUSED' }),
      ),
      'ECONNREFUSED',
    ],
    [
      'Node: localhost refused on ::1 and 127.0.0.1 (AggregateError)',
      runtimeError(
        'fetch failed',
        {},
        Object.assign(
          new AggregateError([
            Object.assign(new Error('connect ECONNREFUSED ::1:3999'), { code: 'ECONNREFUSED' }),
          ]),
          { code: 'ECONNREFUSED' },
        ),
      ),
      'ECONNREFUSED',
    ],
    [
      'Node: a body cut short',
      runtimeError(
        'terminated',
        {},
        Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
      ),
      'other side closed',
    ],
    [
      'Bun: the code on the error itself',
      runtimeError('ECONNREFUSED: Unable to connect. Is the computer able to access the url?', {
        code: 'ECONNREFUSED',
      }),
      'ECONNREFUSED',
    ],
    [
      'Bun: an unknown host',
      runtimeError('getaddrinfo ENOTFOUND no-such-host.invalid', { code: 'ENOTFOUND' }),
      'ENOTFOUND',
    ],
    [
      'Deno: words one cause deep',
      runtimeError(
        'fetch failed',
        {},
        new Error(
          'error sending request for url (http://127.0.0.1:3999/x): client error (Connect): tcp connect error: Connection refused (os error 111)',
        ),
      ),
      'ECONNREFUSED',
    ],
    [
      'Deno: an unknown host',
      runtimeError(
        'fetch failed',
        {},
        new Error(
          'error sending request for url (http://no-such-host.invalid/x): client error (Connect): dns error: failed to lookup address information: Name or service not known',
        ),
      ),
      'ENOTFOUND',
    ],
    [
      'Deno: a reset',
      runtimeError('fetch failed', {}, new Error('Connection reset by peer (os error 104)')),
      'ECONNRESET',
    ],
    ['Chromium', runtimeError('Failed to fetch'), undefined],
    ['Firefox', runtimeError('NetworkError when attempting to fetch resource.'), undefined],
    ['Safari', runtimeError('Load failed'), undefined],
  ])('%s', (_runtime, error, reason) => {
    expect(failureReason(error)).toBe(reason);
  });
});

describe('a wait that times out', () => {
  it.each<WaitStrategy>(['auto', 'long-poll', 'poll', 'sse'])(
    'while the server is down carries the last failure as its cause (%s)',
    async (strategy) => {
      const url = `http://127.0.0.1:${await freePort()}`;
      const client = new VtransClient({ baseUrl: url });
      const error = (await rejectionOf(
        client.waitForJob('job_abc', { timeoutMs: 600, strategy }),
      )) as WaitTimeoutError;
      expect(error).toBeInstanceOf(WaitTimeoutError);
      expect(isNetworkError(error.cause)).toBe(true);
      expect((error.cause as NetworkError).reason).toBe('ECONNREFUSED');
      expect(error.message).toMatch(
        new RegExp(
          `^Job job_abc still unknown after \\d+ ms \\(\\d+ requests\\); the last request failed: Cannot reach ${url} \\(ECONNREFUSED\\) for GET /v1/`,
        ),
      );
    },
  );

  it('while more than 100 waits share an event stream to a server that is down', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const client = new VtransClient({ baseUrl: url });
    const ids = Array.from({ length: 101 }, (_, i) => `job_${i}`);
    const errors = await Promise.all(
      ids.map((id) => rejectionOf(client.waitForJob(id, { timeoutMs: 800 }))),
    );
    for (const error of errors) {
      expect(error).toBeInstanceOf(WaitTimeoutError);
      expect((error as WaitTimeoutError).cause).toMatchObject({ reason: 'ECONNREFUSED' });
    }
  });

  it.each<WaitStrategy>(['auto', 'sse'])(
    'while the server takes requests but never answers names the last timeout (%s)',
    async (strategy) => {
      const srv = await serve(() => undefined);
      const client = new VtransClient({ baseUrl: srv.url, requestTimeoutMs: 100 });
      const error = (await rejectionOf(
        client.waitForJob('job_abc', { timeoutMs: 700, strategy }),
      )) as WaitTimeoutError;
      // The last check before the deadline is abandoned unanswered: the engine's failure is named.
      expect(error.cause).toBeInstanceOf(TimeoutError);
      expect(error.message).toContain(`the last request failed: No answer from ${srv.url}`);
    },
  );

  it('has no cause when the server answers and the job is just not done', async () => {
    const srv = await serve((_req, res) =>
      sendJson(res, 200, jobJson(), { 'preference-applied': 'wait=1' }),
    );
    const client = new VtransClient({ baseUrl: srv.url });
    const error = (await rejectionOf(
      client.waitForJob('job_test', { timeoutMs: 300, strategy: 'poll' }),
    )) as WaitTimeoutError;
    expect(error.cause).toBeUndefined();
    expect(error.message).toMatch(/^Job job_test still pending after \d+ ms \(\d+ requests\)$/);
  });

  it('has no cause when the server recovered from its failures before the deadline', async () => {
    const srv = await serve((_req, res, i) => {
      if (i < 2) return sendProblem(res, 503, 'unavailable');
      sendJson(res, 200, jobJson());
    });
    const clock = createScaledClock(20);
    const client = clientOnClock(srv.url, clock);
    const error = (await rejectionOf(
      client.waitForJob('job_test', { timeoutMs: 20_000, strategy: 'poll' }),
    )) as WaitTimeoutError;
    expect(srv.requests.length).toBeGreaterThan(3);
    expect(error.cause).toBeUndefined();
  });

  it('of the original GET /status carries the last failure too', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const client = new VtransClient({ baseUrl: url });
    const error = (await rejectionOf(client.waitForStatus({ timeoutMs: 600 }))) as WaitTimeoutError;
    expect(error.cause).toMatchObject({ reason: 'ECONNREFUSED' });
    expect(error.message).toContain(`the last request failed: Cannot reach ${url} (ECONNREFUSED)`);
  });
});
