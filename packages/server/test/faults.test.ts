import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, resolveConfig } from '../src/config.js';
import { FaultInjector } from '../src/faults/injector.js';
import { parseFaultSpec } from '../src/faults/spec.js';
import { startTestServer } from './helpers/server.js';
import { runServerToExit } from '@vtrans/test-support';

/** One GET over a fresh connection: status, declared length and bytes received, or the error. */
function rawGet(
  url: string,
): Promise<
  | { ok: true; status: number; declared: number | undefined; received: number; body: string }
  | { ok: false; stage: 'headers' | 'body'; code: string; declared?: number; received?: number }
> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent: false }, (res) => {
      const declared =
        res.headers['content-length'] === undefined
          ? undefined
          : Number(res.headers['content-length']);
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({
          ok: true,
          status: res.statusCode ?? 0,
          declared,
          received: body.length,
          body: body.toString(),
        });
      });
      res.on('error', (err: NodeJS.ErrnoException) => {
        const received = Buffer.concat(chunks).length;
        resolve({
          ok: false,
          stage: 'body',
          code: err.code ?? err.message,
          ...(declared === undefined ? {} : { declared }),
          received,
        });
      });
      res.on('aborted', () => undefined);
    });
    req.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ ok: false, stage: 'headers', code: err.code ?? err.message }),
    );
    req.end();
  });
}

describe('VT_FAULTS parsing', () => {
  it('reads every kind of fault, a fixed latency and a range', () => {
    const spec = parseFaultSpec(
      'VT_FAULTS',
      '503=0.1, 500=0.05,reset=0.05,truncate=0.05,latency=50-200ms,retry-after=1,methods=GET|post',
    );
    expect(spec).toEqual({
      statuses: [
        { status: 503, probability: 0.1 },
        { status: 500, probability: 0.05 },
      ],
      resetProbability: 0.05,
      truncateProbability: 0.05,
      latencyMs: [50, 200],
      retryAfterS: 1,
      methods: ['GET', 'POST'],
    });
    expect(parseFaultSpec('VT_FAULTS', 'latency=200ms')?.latencyMs).toEqual([200, 200]);
    expect(parseFaultSpec('VT_FAULTS', 'latency=1s-2s')?.latencyMs).toEqual([1000, 2000]);
    expect(parseFaultSpec('VT_FAULTS', 'latency=15')?.latencyMs).toEqual([15, 15]);
    expect(parseFaultSpec('VT_FAULTS', '')).toBeUndefined();
    expect(parseFaultSpec('VT_FAULTS', 'off')).toBeUndefined();
  });

  it.each([
    ['503=2', '"503=2"'],
    ['503=0.1,bogus=1', '"bogus=1"'],
    ['404=0.1', '"404=0.1"'],
    ['reset', '"reset"'],
    ['latency=200-100ms', '"latency=200-100ms"'],
    ['latency=fast', '"latency=fast"'],
    ['latency=2h', '"latency=2h"'],
    ['retry-after=-1', '"retry-after=-1"'],
    ['503=0.1,503=0.2', '"503=0.2"'],
    ['methods=G*T', '"methods=G*T"'],
  ])('refuses %s with one line naming the bad part', (raw, part) => {
    let error: unknown;
    try {
      loadConfig({ VT_FAULTS: raw }, '/nonexistent');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('VT_FAULTS');
    expect(message).toContain(part);
    expect(message).not.toContain('\n');
  });

  it('refuses shares that add up to more than 1', () => {
    expect(() => parseFaultSpec('VT_FAULTS', '503=0.6,reset=0.5')).toThrow(/add up to 1\.1/);
  });

  it('validates a spec given in code (startServer options) too', () => {
    expect(() => resolveConfig({ faults: '503=nope' })).toThrow(ConfigError);
    expect(resolveConfig({ faults: '503=0.5' }).faults).toBe('503=0.5');
    expect(loadConfig({}, '/nonexistent').faults).toBeUndefined();
  });

  it('the server process refuses a bad VT_FAULTS with one line and exit code 2', async () => {
    const exit = await runServerToExit({ VT_FAULTS: '503=0.1,explode=1' });
    expect(exit.code).toBe(2);
    expect(exit.stderr.trim().split('\n')).toHaveLength(1);
    expect(exit.stderr).toContain('VT_FAULTS');
    expect(exit.stderr).toContain('"explode=1"');
  });
});

describe('fault decisions', () => {
  it('are repeatable for a seed and follow the shares', () => {
    const spec = parseFaultSpec('VT_FAULTS', '503=0.3,reset=0.2,truncate=0.1,latency=10-20ms')!;
    const a = new FaultInjector(spec, '42');
    const b = new FaultInjector(spec, '42');
    const runA = Array.from({ length: 2000 }, () => a.decide());
    const runB = Array.from({ length: 2000 }, () => b.decide());
    expect(runA).toEqual(runB);
    const share = (kind: string) => runA.filter((d) => d.kind === kind).length / runA.length;
    expect(share('status')).toBeGreaterThan(0.25);
    expect(share('status')).toBeLessThan(0.35);
    expect(share('reset')).toBeGreaterThan(0.15);
    expect(share('reset')).toBeLessThan(0.25);
    expect(share('truncate')).toBeGreaterThan(0.07);
    expect(share('truncate')).toBeLessThan(0.13);
    expect(runA.every((d) => d.latencyMs >= 10 && d.latencyMs <= 20)).toBe(true);
    const other = new FaultInjector(spec, '43');
    expect(Array.from({ length: 50 }, () => other.decide())).not.toEqual(runA.slice(0, 50));
  });

  it('apply to /v1 and /status only, and to the listed methods', () => {
    const all = new FaultInjector(parseFaultSpec('VT_FAULTS', '503=1')!, '1');
    expect(all.applies('GET', '/status')).toBe(true);
    expect(all.applies('POST', '/v1/jobs')).toBe(true);
    expect(all.applies('GET', '/healthz')).toBe(false);
    expect(all.applies('GET', '/readyz')).toBe(false);
    expect(all.applies('GET', '/metrics')).toBe(false);
    expect(all.applies('GET', '/v1x')).toBe(false);
    const gets = new FaultInjector(parseFaultSpec('VT_FAULTS', '503=1,methods=GET')!, '1');
    expect(gets.applies('POST', '/v1/jobs')).toBe(false);
    expect(gets.applies('GET', '/v1/jobs/x')).toBe(true);
  });
});

describe('injected faults over HTTP', () => {
  it('answer error statuses as problem+json with Retry-After, never on health routes', async () => {
    const srv = await startTestServer({ faults: '500=0.5,503=0.5,retry-after=3', seed: '7' });
    const seen = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${srv.url}/status`);
      seen.add(res.status);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.headers.get('retry-after')).toBe('3');
      const body = (await res.json()) as { code: string; status: number };
      expect(body.code).toBe('injected_fault');
      expect(body.status).toBe(res.status);
    }
    expect([...seen].sort()).toEqual([500, 503]);
    for (const path of ['/healthz', '/readyz']) {
      expect((await fetch(`${srv.url}${path}`)).status).toBe(200);
    }
  });

  it('send no Retry-After unless asked', async () => {
    const srv = await startTestServer({ faults: '503=1' });
    const res = await fetch(`${srv.url}/v1/jobs`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBeNull();
  });

  it('an injected error status happens before the route: no job is created', async () => {
    const srv = await startTestServer({ faults: '503=1,methods=POST' });
    const res = await fetch(`${srv.url}/v1/jobs`, { method: 'POST' });
    expect(res.status).toBe(503);
    const list = (await (await fetch(`${srv.url}/v1/jobs`)).json()) as { data: { id: string }[] };
    expect(list.data).toHaveLength(0);
  });

  it('a truncated answer declares its full length, sends less, and the effect still happened', async () => {
    const srv = await startTestServer({ faults: 'truncate=1,methods=POST', seed: '3' });
    const url = `${srv.url}/v1/jobs`;
    const result = await new Promise<{ declared: number; received: number; code: string }>(
      (resolve) => {
        const req = httpRequest(url, { method: 'POST', agent: false }, (res) => {
          let received = 0;
          res.on('data', (c: Buffer) => (received += c.length));
          res.on('error', (err: NodeJS.ErrnoException) =>
            resolve({
              declared: Number(res.headers['content-length']),
              received,
              code: err.code ?? '',
            }),
          );
          res.on('end', () =>
            resolve({ declared: Number(res.headers['content-length']), received, code: 'end' }),
          );
        });
        req.on('error', (err: NodeJS.ErrnoException) =>
          resolve({ declared: -1, received: -1, code: err.code ?? '' }),
        );
        req.end();
      },
    );
    expect(result.code).toBe('ECONNRESET');
    expect(result.declared).toBeGreaterThan(result.received);
    expect(result.received).toBeGreaterThanOrEqual(0);
    const list = (await (await fetch(`${srv.url}/v1/jobs`)).json()) as { data: { id: string }[] };
    expect(list.data).toHaveLength(1);
  });

  it('a reset cuts the connection before or during the answer', async () => {
    const srv = await startTestServer({ faults: 'reset=1', seed: '11' });
    const stages = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const r = await rawGet(`${srv.url}/status`);
      expect(r.ok).toBe(false);
      if (!r.ok) stages.add(r.stage);
    }
    // Some resets send nothing at all, others the headers and part of the body.
    expect(stages).toEqual(new Set(['headers', 'body']));
    expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
  });

  it('adds latency to affected requests only', async () => {
    const srv = await startTestServer({ faults: 'latency=800ms' });
    const timed = async (path: string) => {
      const start = performance.now();
      expect((await fetch(`${srv.url}${path}`)).status).toBe(200);
      return performance.now() - start;
    };
    await timed('/healthz'); // warm the connection
    expect(await timed('/status')).toBeGreaterThanOrEqual(790);
    // healthz is never delayed (a bound far above a loaded machine's answer: this asserts the
    // fault, not speed).
    expect(await timed('/healthz')).toBeLessThan(790);
  });

  it('cuts event streams too', async () => {
    const srv = await startTestServer({ faults: 'reset=1', seed: '5' });
    const created = (await (
      await fetch(`${srv.url}/v1/jobs`, { method: 'POST' }).catch(() => undefined)
    )
      ?.json()
      .catch(() => undefined)) as { id: string } | undefined;
    expect(created).toBeUndefined(); // the create's answer was lost to the reset
    const r = await rawGet(`${srv.url}/v1/events`);
    expect(r.ok).toBe(false);
  });

  it('is off by default', async () => {
    const srv = await startTestServer();
    for (let i = 0; i < 20; i++) expect((await fetch(`${srv.url}/status`)).status).toBe(200);
  });
});
