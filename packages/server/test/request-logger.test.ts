import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { lazyChildLogger } from '../src/logger.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { startTestServer } from './helpers/server.js';

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

describe('request logs', () => {
  it('at info, both access lines of a request carry its id', async () => {
    const { logger, lines } = capturingLogger('info');
    const srv = await startTestServer({ logger });
    const res = await fetch(`${srv.url}/v1/jobs`, { headers: { 'x-request-id': 'trace-me-1' } });
    expect(res.status).toBe(200);
    await srv.close();
    const mine = lines.filter((l) => l.reqId === 'trace-me-1');
    expect(mine.map((l) => l.msg)).toEqual(['incoming request', 'request completed']);
  });

  it('at warn, answered requests write nothing and a failed one is logged with its id', async () => {
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
    expect(written.map((l) => [l.reqId, l.msg])).toEqual([['loud-1', 'request failed']]);
    expect((written[0]?.err as { message?: string } | undefined)?.message).toBe(
      'the disk is on fire',
    );
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
