/**
 * What the server process writes, as an operator reads it: one start-up line, one line per request,
 * a last line on shutdown — and at `warn`, only the first and the last.
 */
import { pino } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { describe, expect, it } from 'vitest';
import { PRETTY_OPTIONS } from '../src/logger.js';
import { startTestServer } from './helpers/server.js';
import { spawnServer } from '@vtrans/test-support';

type Line = Record<string, unknown> & { msg: string; level: number };

const parse = (stdout: string): Line[] =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);

const START =
  /^vtrans server listening on http:\/\/127\.0\.0\.1:\d+ \(store memory; open mode: no API keys, loopback only\)$/;
const STOP = /^stopped cleanly in \d+ ms$/;

/** A terminal's view of a line (pino-pretty with the server's options, no colours, no time). */
const pretty = (() => {
  const render = prettyFactory({ ...PRETTY_OPTIONS, colorize: false });
  return (line: Line) =>
    render(JSON.stringify(line))
      .trim()
      .replace(/^\[[\d:.]+\] /, '');
})();

describe('the server process log', () => {
  it('at info: one start-up line, one line per request, a last line on shutdown', async () => {
    const srv = await spawnServer({ env: { LOG_LEVEL: 'info' } });
    const sent = [
      { method: 'POST', path: '/v1/jobs', id: 'req-logs-1' },
      { method: 'GET', path: '/status', id: 'req-logs-2' },
      { method: 'GET', path: '/v1/jobs/job_nope', id: 'req-logs-3' },
    ];
    for (const r of sent) {
      await fetch(`${srv.url}${r.path}`, { method: r.method, headers: { 'x-request-id': r.id } });
    }
    const exit = await srv.kill('SIGTERM');
    expect(exit.code).toBe(0);
    const lines = parse(srv.stdout());
    const [first] = lines;
    const last = lines.at(-1);
    expect(first?.msg).toMatch(START);
    expect(last?.msg).toMatch(STOP);
    expect(lines.filter((l) => /listening/i.test(l.msg))).toHaveLength(1);
    // Everything between is a request, one line each (the readiness probes' /healthz among them).
    const requests = lines.slice(1, -1);
    for (const line of requests) {
      expect(line).toMatchObject({ level: 30, reqId: expect.any(String) });
      expect(line.msg).toBe(
        [line.method, line.url, line.statusCode, line.responseTimeMs, 'ms'].map(String).join(' '),
      );
    }
    expect(
      requests.filter((l) => l.url !== '/healthz').map((l) => [l.reqId, l.statusCode]),
    ).toEqual([
      ['req-logs-1', 201],
      ['req-logs-2', 200],
      ['req-logs-3', 404],
    ]);
    expect(pretty(first as Line)).toMatch(
      /^INFO: vtrans server listening on http:\/\/127\.0\.0\.1:\d+ \(store memory; open mode: no API keys, loopback only\)$/,
    );
    expect(pretty(last as Line)).toMatch(/^INFO: stopped cleanly in \d+ ms$/);
    expect(srv.stderr()).toBe('');
  });

  it('at warn: the start-up and shutdown lines only', async () => {
    const srv = await spawnServer({ env: { LOG_LEVEL: 'warn' } });
    await fetch(`${srv.url}/v1/jobs`, { method: 'POST' });
    const exit = await srv.kill('SIGINT');
    expect(exit.code).toBe(0);
    expect(parse(srv.stdout()).map((l) => l.msg)).toEqual([
      expect.stringMatching(START),
      expect.stringMatching(STOP),
    ]);
  });

  it('names the keys and tenants and hides a Redis password in the start-up line', async () => {
    const lines: Line[] = [];
    const logger = pino(
      { level: 'info' },
      { write: (l: string) => void lines.push(JSON.parse(l)) },
    );
    const srv = await startTestServer({
      logger,
      apiKeys: [
        { key: 'logs_key_one_0123', tenant: 'acme', tier: 'free' },
        { key: 'logs_key_two_0123', tenant: 'acme', tier: 'free' },
        { key: 'logs_key_six_0123', tenant: 'globex', tier: 'free' },
      ],
    });
    await srv.close();
    expect(lines.map((l) => l.msg)).toEqual([
      `vtrans server listening on ${srv.url} (store memory; 3 API keys for 2 tenants)`,
      expect.stringMatching(STOP),
    ]);
    expect(JSON.stringify(lines)).not.toContain('logs_key_');
  });
});

describe('startServer in a program', () => {
  it('writes the two lines at warn only when asked to (announceAtWarn), as the process does', async () => {
    for (const announceAtWarn of [false, true]) {
      const lines: Line[] = [];
      const logger = pino(
        { level: 'warn' },
        { write: (l: string) => void lines.push(JSON.parse(l)) },
      );
      const srv = await startTestServer({ logger, announceAtWarn });
      await fetch(`${srv.url}/v1/jobs`, { method: 'POST' });
      await srv.close();
      expect(lines.map((l) => l.msg)).toEqual(
        announceAtWarn ? [expect.stringMatching(START), expect.stringMatching(STOP)] : [],
      );
    }
  });

  it('says so when the grace period ran out and connections were cut', async () => {
    const lines: Line[] = [];
    const logger = pino(
      { level: 'info' },
      { write: (l: string) => void lines.push(JSON.parse(l)) },
    );
    const srv = await startTestServer({ logger, shutdownGraceMs: 200 });
    // A request whose body never finishes keeps its connection busy past the grace.
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(new TextEncoder().encode('{"simulate":')),
    });
    const init: RequestInit & { duplex: 'half' } = {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    };
    const stuck = fetch(`${srv.url}/v1/jobs`, init).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await srv.close();
    await stuck;
    const last = lines.at(-1);
    expect(last?.level).toBe(40);
    expect(last?.msg).toMatch(
      /^stopped in \d+ ms, cutting the connections still open after the 200 ms grace \(VT_SHUTDOWN_GRACE\)$/,
    );
  });
});
