/**
 * What `app.inject()` cannot show: Node's HTTP parser in front of the app. Raw sockets send
 * oversized headers, invalid UTF-8, request-smuggling shapes and slow senders; the server must
 * answer 4xx and close (never pass a smuggled request on), and stay healthy.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.js';
import { startTestServer } from './helpers/server.js';

interface Exchange {
  /** Everything the server sent. */
  text: string;
  /** The server closed the connection (rather than our timeout ending the exchange). */
  closedByServer: boolean;
  /** How many responses (status lines) came back. */
  responses: number;
  statuses: number[];
}

/** Writes `parts` (with `gapMs` between them) and reads until the server closes or `timeoutMs`. */
function exchange(
  port: number,
  parts: (string | Buffer)[],
  options: { gapMs?: number; timeoutMs?: number } = {},
): Promise<Exchange> {
  const { gapMs = 0, timeoutMs = 2000 } = options;
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closedByServer = false;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
      resolve({ text, closedByServer, responses: statuses.length, statuses });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => {
      closedByServer = true;
      finish();
    });
    socket.on('close', () => {
      closedByServer = true;
      finish();
    });
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      void (async () => {
        for (const part of parts) {
          if (socket.destroyed) return;
          socket.write(part);
          if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
        }
      })();
    });
  });
}

function expectProblem(text: string, status: number): void {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
  expect(head.toLowerCase()).toContain('content-type: application/problem+json');
  const problem = JSON.parse(body) as { status: number; code: string };
  expect(problem.status).toBe(status);
  expect(typeof problem.code).toBe('string');
}

describe('raw HTTP at the parser', () => {
  let srv: RunningServer;
  const HEADERS_TIMEOUT_MS = 400;

  beforeAll(async () => {
    srv = await startTestServer({ headersTimeoutMs: HEADERS_TIMEOUT_MS });
  });

  afterAll(async () => {
    const res = await fetch(`${srv.url}/healthz`);
    expect(res.status).toBe(200);
    await srv.close();
  });

  it('a well-formed request over the same socket works twice (keep-alive control)', async () => {
    const req = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
    const ex = await exchange(srv.port, [req, req], { gapMs: 20, timeoutMs: 300 });
    expect(ex.statuses).toEqual([200, 200]);
    expect(ex.closedByServer).toBe(false);
  });

  it('oversized headers get 431 and the connection is closed', async () => {
    const big = `GET /status HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`;
    const ex = await exchange(srv.port, [big]);
    expect(ex.statuses).toEqual([431]);
    expectProblem(ex.text, 431);
    expect(ex.closedByServer).toBe(true);
  });

  it('many small headers adding up past the limit get 431 too', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `X-H${i}: ${'v'.repeat(10)}`).join('\r\n');
    const ex = await exchange(srv.port, [`GET /status HTTP/1.1\r\nHost: x\r\n${lines}\r\n\r\n`]);
    expect(ex.statuses).toEqual([431]);
    expect(ex.closedByServer).toBe(true);
  });

  it('invalid UTF-8 in a path gets a 4xx problem, not a crash', async () => {
    for (const path of [
      Buffer.from([0x2f, 0x76, 0x31, 0x2f, 0x6a, 0x6f, 0x62, 0x73, 0x2f, 0xff, 0xfe, 0xc0, 0xae]),
      Buffer.from('/v1/jobs/%FF%FE%C0%AE'),
      Buffer.from('/status?job_id=%ED%A0%80'),
      Buffer.from('/v1/jobs?cursor=%FF'),
    ]) {
      const ex = await exchange(srv.port, [
        Buffer.concat([
          Buffer.from('GET '),
          path,
          Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
        ]),
      ]);
      expect(ex.responses, ex.text).toBe(1);
      expect(ex.statuses[0]).toBeGreaterThanOrEqual(400);
      expect(ex.statuses[0]).toBeLessThan(500);
      expectProblem(ex.text, ex.statuses[0]!);
    }
  });

  it('invalid UTF-8 in a JSON body is refused or stored as replacement characters, never a 5xx', async () => {
    const body = Buffer.concat([
      Buffer.from('{"source_url":"https://x/'),
      Buffer.from([0xff, 0xfe, 0xed, 0xa0, 0x80]),
      Buffer.from('"}'),
    ]);
    const ex = await exchange(srv.port, [
      `POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
      body,
    ]);
    expect(ex.responses).toBe(1);
    expect([201, 400]).toContain(ex.statuses[0]);
    // A body that is not UTF-8 at all, declared as another charset.
    const ex2 = await exchange(srv.port, [
      `POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json; charset=utf-16\r\nContent-Length: 4\r\nConnection: close\r\n\r\n`,
      Buffer.from([0xff, 0xfe, 0x7b, 0x00]),
    ]);
    expect(ex2.statuses[0]).toBeGreaterThanOrEqual(400);
    expect(ex2.statuses[0]).toBeLessThan(500);
  });

  const SMUGGLED = 'GET /v1/jobs/job_smuggled HTTP/1.1\r\nHost: x\r\n\r\n';

  it.each([
    [
      'Content-Length with Transfer-Encoding',
      `POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    ],
    [
      'two different Content-Lengths',
      `POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: ${2 + SMUGGLED.length}\r\n\r\n{}${SMUGGLED}`,
    ],
    [
      'a bad chunk size',
      `POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n${SMUGGLED}`,
    ],
    [
      'a chunk size that overflows',
      `POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n${SMUGGLED}`,
    ],
    [
      'an unknown transfer coding',
      `POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: xchunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n${SMUGGLED}`,
    ],
    [
      'whitespace before the colon',
      `POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length : 2\r\n\r\n{}${SMUGGLED}`,
    ],
    [
      'an obsolete folded header',
      `POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n 0\r\n\r\n{}${SMUGGLED}`,
    ],
    [
      'a bare LF line ending in a chunk',
      `POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\n{}\r\n0\r\n\r\n${SMUGGLED}`,
    ],
  ])('%s gets 400 and the connection is closed (nothing smuggled through)', async (_name, raw) => {
    const ex = await exchange(srv.port, [raw]);
    expect(ex.statuses, ex.text).toEqual([400]);
    expect(ex.closedByServer).toBe(true);
    expect(ex.text).not.toContain('job_smuggled');
  });

  it('a sender dribbling its headers slower than the headers timeout is cut off', async () => {
    const header = 'GET /status HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(60);
    const parts = header.split('');
    const started = Date.now();
    // One byte every 50 ms: the whole request would take about 4 s to arrive.
    const ex = await exchange(srv.port, [...parts, '\r\n\r\n'], { gapMs: 50, timeoutMs: 8000 });
    expect(ex.closedByServer).toBe(true);
    expect(Date.now() - started).toBeLessThan(parts.length * 50);
    expect(ex.responses).toBeLessThanOrEqual(1);
    if (ex.responses === 1) expect(ex.statuses[0]).toBe(408);
  });

  it('an idle connection that never sends a byte does not get an answer and is not a problem', async () => {
    const ex = await exchange(srv.port, [], { timeoutMs: 200 });
    expect(ex.responses).toBe(0);
  });

  it('garbage instead of HTTP gets 400 and a close', async () => {
    const ex = await exchange(srv.port, [Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x01, 0x00])]);
    expect(ex.closedByServer).toBe(true);
    expect(ex.statuses).toEqual(ex.responses ? [400] : []);
  });
});
