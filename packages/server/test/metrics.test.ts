import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../src/metrics.js';
import { buildTestApp, startTestServer } from './helpers/server.js';
import { sleep, tempDir } from '@vtrans/test-support';

/** The value of one sample line, e.g. `vtrans_jobs_total{event="created"}`; 0 when absent. */
function sample(text: string, series: string): number {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return 0;
}

describe('GET /metrics', () => {
  it('serves the Prometheus text format with requests counted by route pattern, not URL', async () => {
    const { app } = await buildTestApp();
    const created = await app.inject({ method: 'POST', url: '/v1/jobs' });
    const id = created.json<{ id: string }>().id;
    await app.inject({ method: 'GET', url: `/v1/jobs/${id}` });
    await app.inject({ method: 'GET', url: `/v1/jobs/${id}` });
    await app.inject({ method: 'GET', url: '/v1/jobs/job_unknown' });
    await app.inject({ method: 'GET', url: '/no/such/route' });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = res.body;
    expect(text).toContain('# TYPE vtrans_http_requests_total counter');
    expect(
      sample(text, 'vtrans_http_requests_total{route="/v1/jobs/:id",method="GET",status="200"}'),
    ).toBe(2);
    expect(
      sample(text, 'vtrans_http_requests_total{route="/v1/jobs/:id",method="GET",status="404"}'),
    ).toBe(1);
    expect(
      sample(text, 'vtrans_http_requests_total{route="/v1/jobs",method="POST",status="201"}'),
    ).toBe(1);
    expect(
      sample(text, 'vtrans_http_requests_total{route="(unmatched)",method="GET",status="404"}'),
    ).toBe(1);
    expect(text).not.toContain(id);
    expect(text).toMatch(
      /vtrans_http_request_duration_seconds_count\{route="\/v1\/jobs\/:id",method="GET",status="200"\} 2/,
    );
    expect(text).toMatch(
      /vtrans_store_operation_duration_seconds_count\{operation="createJob",outcome="ok"\} [1-9]/,
    );
    expect(text).toMatch(
      /vtrans_store_operation_duration_seconds_count\{operation="getJob",outcome="ok"\} [1-9]/,
    );
    expect(text).toContain('process_resident_memory_bytes');
  });

  it('counts jobs created, completed, failed and canceled as they run', async () => {
    const srv = await startTestServer();
    const metrics = async () => (await srv.app.inject({ method: 'GET', url: '/metrics' })).body;
    const jobs = (text: string) => ({
      created: sample(text, 'vtrans_jobs_total{event="created"}'),
      completed: sample(text, 'vtrans_jobs_total{event="completed"}'),
      failed: sample(text, 'vtrans_jobs_total{event="failed"}'),
      canceled: sample(text, 'vtrans_jobs_total{event="canceled"}'),
    });
    const before = jobs(await metrics());
    const create = async (simulate: object) => {
      const res = await srv.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: { 'content-type': 'application/json' },
        payload: { simulate },
      });
      return res.json<{ id: string }>().id;
    };
    const ok = await create({ duration_ms: 20, outcome: 'completed' });
    const bad = await create({ duration_ms: 20, outcome: 'error' });
    const slow = await create({ duration_ms: 3_600_000 });
    await srv.app.inject({ method: 'POST', url: `/v1/jobs/${slow}/cancel` });
    await srv.app.inject({ method: 'POST', url: `/v1/jobs/${slow}/cancel` }); // repeat: no new event
    for (const id of [ok, bad]) {
      await srv.app.inject({ method: 'GET', url: `/v1/jobs/${id}?wait=5` });
    }
    await sleep(20);
    const after = jobs(await metrics());
    expect({
      created: after.created - before.created,
      completed: after.completed - before.completed,
      failed: after.failed - before.failed,
      canceled: after.canceled - before.canceled,
    }).toEqual({ created: 3, completed: 1, failed: 1, canceled: 1 });
  });

  it('reports held long polls and open streams as gauges', async () => {
    const srv = await startTestServer();
    const created = await srv.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { 'content-type': 'application/json' },
      payload: { simulate: { duration_ms: 3_600_000 } },
    });
    const id = created.json<{ id: string }>().id;
    const gauges = async () => {
      const text = (await srv.app.inject({ method: 'GET', url: '/metrics' })).body;
      return [sample(text, 'vtrans_held_requests'), sample(text, 'vtrans_open_streams')];
    };
    expect(await gauges()).toEqual([0, 0]);
    const held = srv.app.inject({
      method: 'GET',
      url: `/v1/jobs/${id}`,
      headers: { prefer: 'wait=1' },
    });
    const controller = new AbortController();
    const stream = await fetch(`${srv.url}/v1/jobs/${id}/events`, { signal: controller.signal });
    expect(stream.status).toBe(200);
    await sleep(50);
    expect(await gauges()).toEqual([1, 1]);
    controller.abort();
    await held;
    await sleep(50);
    expect(await gauges()).toEqual([0, 0]);
  });

  it('reports the jobs the scheduler watches, and when it has read them all after a start', async () => {
    const dir = tempDir('vtrans-metrics-');
    const url = `sqlite:${dir}/vtrans.db`;
    const first = await startTestServer({ store: url });
    const create = (duration_ms: number) =>
      first.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: { 'content-type': 'application/json' },
        payload: { simulate: { duration_ms } },
      });
    for (const ms of [3_600_000, 3_600_000, 1]) expect((await create(ms)).statusCode).toBe(201);
    const gauges = async (app: typeof first.app) => {
      const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      return [sample(text, 'vtrans_scheduler_jobs'), sample(text, 'vtrans_scheduler_loaded')];
    };
    // The job of 1 ms ends and leaves; the two of an hour stay watched.
    await expect.poll(() => gauges(first.app)).toEqual([2, 1]);
    await first.close();
    // A new start reads them back from the store.
    const second = await startTestServer({ store: url });
    await expect.poll(() => gauges(second.app)).toEqual([2, 1]);
    await second.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports the longest event-loop stall since the previous scrape', async () => {
    const { app } = await buildTestApp();
    const stall = async () =>
      sample(
        (await app.inject({ method: 'GET', url: '/metrics' })).body,
        'vtrans_event_loop_delay_max_seconds',
      );
    expect(await stall()).toBe(0); // the first scrape starts the monitor
    await sleep(40);
    const until = Date.now() + 250;
    while (Date.now() < until); // the loop blocked for 250 ms
    await sleep(20);
    const blocked = await stall();
    expect(blocked).toBeGreaterThanOrEqual(0.2);
    expect(blocked).toBeLessThan(5);
    await sleep(40);
    expect(await stall()).toBeLessThan(0.2); // reset by the scrape before
    await app.close();
  });

  it('needs the metrics token when VT_METRICS_TOKEN is set', async () => {
    const { app } = await buildTestApp({ metricsToken: 'metrics-token-123' });
    const without = await app.inject({ method: 'GET', url: '/metrics' });
    expect(without.statusCode).toBe(401);
    expect(without.headers['content-type']).toBe('application/problem+json');
    const wrong = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: 'Bearer metrics-token-124' },
    });
    expect(wrong.statusCode).toBe(401);
    const right = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: 'Bearer metrics-token-123' },
    });
    expect(right.statusCode).toBe(200);
    expect(right.body).toContain('vtrans_http_requests_total');
  });

  it('keeps one registry per server, so servers in one process do not mix counts', async () => {
    const a = await buildTestApp();
    const b = await buildTestApp();
    const created = async (app: typeof a.app) =>
      sample(
        (await app.inject({ method: 'GET', url: '/metrics' })).body,
        'vtrans_jobs_total{event="created"}',
      );
    const [a0, b0] = [await created(a.app), await created(b.app)];
    await a.app.inject({ method: 'POST', url: '/v1/jobs' });
    expect(await created(a.app)).toBe(a0 + 1);
    expect(await created(b.app)).toBe(b0);
    expect(a.context.metrics.registry).not.toBe(b.context.metrics.registry);
  });

  it('lets other features add metrics to the same registry', async () => {
    const metrics = createMetrics({
      waiters: () => ({ held: 0, streams: 0 }),
      scheduler: () => ({ tracked: 0, loaded: true }),
    });
    const deliveries = metrics.counter('vtrans_webhook_deliveries_total', 'Deliveries', [
      'outcome',
    ]);
    expect(metrics.counter('vtrans_webhook_deliveries_total', 'Deliveries', ['outcome'])).toBe(
      deliveries,
    );
    deliveries.inc({ outcome: 'ok' });
    expect(await metrics.render()).toContain('vtrans_webhook_deliveries_total{outcome="ok"} 1');
  });
});
