import { pino } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { describe, expect, it, vi } from 'vitest';
import { lazyChildLogger, PRETTY_OPTIONS } from '../src/logger.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { startTestServer } from './helpers/server.js';
import { sleep } from '@vtrans/test-support';

type Line = Record<string, unknown>;

function capturingLogger(level: string) {
  const lines: Line[] = [];
  const logger = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** A store whose reads fail once told to, so a job read answers 500 and the error handler logs it. */
class UnreadableStore extends MemoryStore {
  failing = false;
  override getJob(id: string) {
    return this.failing ? Promise.reject(new Error('the disk is on fire')) : super.getJob(id);
  }
}

/** How a terminal shows a JSON line: the same pino-pretty options, without colours or the time. */
const pretty = (() => {
  const render = prettyFactory({ ...PRETTY_OPTIONS, colorize: false });
  return (line: Line) =>
    render(JSON.stringify(line))
      .trim()
      .replace(/^\[[\d:.]+\] /, '');
})();

describe('request logs', () => {
  it('at info, one line per request: method, URL, status, milliseconds and request id', async () => {
    const { logger, lines } = capturingLogger('info');
    const srv = await startTestServer({ logger });
    const ids = ['trace-me-1', 'trace-me-2', 'trace-me-3'];
    const created = await fetch(`${srv.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'x-request-id': ids[0] ?? '' },
    });
    expect(created.status).toBe(201);
    await fetch(`${srv.url}/v1/jobs?limit=5`, { headers: { 'x-request-id': ids[1] ?? '' } });
    await fetch(`${srv.url}/v1/jobs/job_unknown`, { headers: { 'x-request-id': ids[2] ?? '' } });
    await srv.close();
    const mine = lines.filter((l) => ids.includes(String(l.reqId)));
    expect(mine.map((l) => [l.reqId, l.level, l.method, l.url, l.statusCode])).toEqual([
      ['trace-me-1', 30, 'POST', '/v1/jobs', 201],
      ['trace-me-2', 30, 'GET', '/v1/jobs?limit=5', 200],
      ['trace-me-3', 30, 'GET', '/v1/jobs/job_unknown', 404],
    ]);
    for (const line of mine) {
      expect(line.responseTimeMs).toEqual(expect.any(Number));
      expect(line.msg).toBe(
        [line.method, line.url, line.statusCode, line.responseTimeMs, 'ms'].map(String).join(' '),
      );
    }
    // What a terminal shows: the message and the request id, on one line.
    expect(pretty(mine[0] ?? {})).toMatch(/^INFO: POST \/v1\/jobs 201 [\d.]+ ms · trace-me-1$/);
    expect(pretty(mine[2] ?? {})).toMatch(
      /^INFO: GET \/v1\/jobs\/job_unknown 404 [\d.]+ ms · trace-me-3$/,
    );
  });

  it('at warn, answered requests write nothing; a failed one writes its one line, with the error', async () => {
    const { logger, lines } = capturingLogger('warn');
    const store = new UnreadableStore();
    const srv = await startTestServer({ logger, store });
    store.failing = true;
    const before = lines.length;
    const ok = await fetch(`${srv.url}/healthz`, { headers: { 'x-request-id': 'quiet-1' } });
    expect(ok.status).toBe(200);
    const failed = await fetch(`${srv.url}/v1/jobs/job_aaaaaaaaaaaaaaaaaaaa`, {
      headers: { 'x-request-id': 'loud-1' },
    });
    expect(failed.status).toBe(500);
    await srv.close();
    const written = lines.slice(before).filter((l) => typeof l.reqId === 'string');
    expect(written.map((l) => [l.reqId, l.level, l.statusCode])).toEqual([['loud-1', 50, 500]]);
    const [line] = written;
    expect(line?.msg).toMatch(
      /^GET \/v1\/jobs\/job_aaaaaaaaaaaaaaaaaaaa 500 [\d.]+ ms: the disk is on fire$/,
    );
    expect((line?.err as { message?: string } | undefined)?.message).toBe('the disk is on fire');
    // A terminal shows the line, then the error's stack beneath it.
    expect(pretty(line ?? {}).split('\n')[0]).toMatch(
      /^ERROR: GET \/v1\/jobs\/job_a+ 500 [\d.]+ ms: the disk is on fire · loud-1$/,
    );
  });

  it('writes the line of an event stream or a held long poll the client walked away from', async () => {
    const { logger, lines } = capturingLogger('info');
    const srv = await startTestServer({ logger });
    const job = (await (
      await fetch(`${srv.url}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ simulate: { duration_ms: 60_000 } }),
      })
    ).json()) as { id: string };
    const walkAway = async (path: string, id: string, headers: Record<string, string> = {}) => {
      const abort = new AbortController();
      const res = fetch(`${srv.url}${path}`, {
        signal: abort.signal,
        headers: { 'x-request-id': id, ...headers },
      }).then((r) => r.text());
      await sleep(150);
      abort.abort();
      await res.catch(() => undefined);
    };
    await walkAway('/v1/events', 'stream-1');
    await walkAway(`/v1/jobs/${job.id}?wait=30`, 'poll-1', { 'if-none-match': 'W/"1"' });
    await expect
      .poll(() => lines.filter((l) => l.reqId === 'stream-1' || l.reqId === 'poll-1').length)
      .toBe(2);
    await srv.close();
    const byId = (id: string) => lines.find((l) => l.reqId === id);
    expect(byId('stream-1')).toMatchObject({ statusCode: 200, closedEarly: true });
    expect(byId('stream-1')?.msg).toMatch(
      /^GET \/v1\/events 200 [\d.]+ ms \(the client closed the connection before the answer ended\)$/,
    );
    expect(byId('poll-1')).toMatchObject({ statusCode: null, closedEarly: true });
    expect(byId('poll-1')?.msg).toMatch(
      /^GET \/v1\/jobs\/job_\w+\?wait=30 - [\d.]+ ms \(the client closed the connection before an answer\)$/,
    );
  });

  it('cuts a long URL in the message, never in the field', async () => {
    const { logger, lines } = capturingLogger('info');
    const srv = await startTestServer({ logger });
    const ids = Array.from({ length: 20 }, (_, i) => `job_${String(i).padStart(20, 'a')}`);
    const url = `/v1/jobs?ids=${ids.join(',')}`;
    await fetch(`${srv.url}${url}`, { headers: { 'x-request-id': 'long-1' } });
    await srv.close();
    const line = lines.find((l) => l.reqId === 'long-1');
    expect(line?.url).toBe(url);
    expect(line?.msg).toMatch(/^GET \/v1\/jobs\?ids=job_\S{100,}… 200 [\d.]+ ms$/);
    expect(String(line?.msg).length).toBeLessThan(url.length);
  });
});

describe('lazyChildLogger', () => {
  it("makes pino's child only when a line is written at an enabled level", () => {
    const { logger, lines } = capturingLogger('warn');
    const child = vi.spyOn(logger, 'child');
    const log = lazyChildLogger(logger, { reqId: 'r1' }, {});
    log.info('not written');
    log.debug({ a: 1 }, 'not written either');
    expect(child).not.toHaveBeenCalled();
    expect(log.level).toBe('warn');
    log.warn({ jobId: 'job_x' }, 'written');
    log.error('also written');
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines.map((l) => [l.reqId, l.msg, l.jobId])).toEqual([
      ['r1', 'written', 'job_x'],
      ['r1', 'also written', undefined],
    ]);
  });

  it("honours a level changed on the request's logger and hands out real children", () => {
    const { logger, lines } = capturingLogger('warn');
    const log = lazyChildLogger(logger, { reqId: 'r2' }, {});
    log.level = 'debug';
    log.debug('now written');
    log.child({ step: 'hold' }).info('from a grandchild');
    expect(logger.level).toBe('warn');
    expect(lines.map((l) => [l.reqId, l.msg, l.step])).toEqual([
      ['r2', 'now written', undefined],
      ['r2', 'from a grandchild', 'hold'],
    ]);
  });

  it("uses pino's child when a route asks for its own level", () => {
    const { logger } = capturingLogger('warn');
    const log = lazyChildLogger(logger, { reqId: 'r3' }, { level: 'trace' });
    expect(log.level).toBe('trace');
    expect(Object.getPrototypeOf(log)).toBe(Object.getPrototypeOf(logger.child({})));
  });
});
