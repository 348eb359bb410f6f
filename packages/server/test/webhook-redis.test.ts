/**
 * Webhooks over the shared Redis store: several instances poll one queue of deliveries, each
 * attempt is leased to exactly one of them, and a restart mid-schedule still delivers.
 */
import { verifyWebhook } from '@vtrans/client';
import { describe, expect, it } from 'vitest';
import type { RunningServer, StartServerOptions } from '../src/server.js';
import { needs, sleep, startRedis } from '@vtrans/test-support';
import { startTestServer } from './helpers/server.js';
import { eventually, startReceiver } from './webhook-helpers.js';

const hasRedis = needs('redis', 'webhooks on Redis');

const FAST: StartServerOptions = {
  webhookAllowHosts: ['127.0.0.1'],
  webhookRetryDelaysMs: [50, 50, 50],
  webhookPollIntervalMs: 20,
};

async function createJob(srv: RunningServer, body: Record<string, unknown>) {
  const res = await fetch(`${srv.url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string };
}

const settled = (srv: RunningServer, jobId: string) =>
  eventually(async () => {
    const list = await srv.context.store.listDeliveries(jobId);
    return list.length > 0 && list.every((d) => d.state !== 'pending') ? list : undefined;
  });

describe.skipIf(!hasRedis)('webhooks on Redis', () => {
  it('sends each attempt from exactly one of two instances', async () => {
    const redis = await startRedis();
    const receiver = await startReceiver([500, 500, 500]);
    const a = await startTestServer({ ...FAST, store: redis.url });
    const b = await startTestServer({ ...FAST, store: redis.url });
    const jobs = [];
    for (let i = 0; i < 6; i++) {
      jobs.push(
        await createJob(i % 2 ? a : b, {
          callback_url: receiver.url,
          simulate: { duration_ms: 20 },
        }),
      );
    }
    for (const job of jobs) await settled(a, job.id);
    await sleep(200);
    const ok = receiver.requests.filter((r) => r.status === 200);
    expect(ok.map((r) => r.headers['webhook-id']).sort()).toEqual(
      jobs.map((j) => `msg_${j.id}_6`).sort(),
    );
    expect(receiver.requests).toHaveLength(9);
    // Both instances sign with the one secret kept in Redis.
    const secret = (await a.context.webhooks.secrets.get('public')).current;
    expect((await b.context.webhooks.secrets.get('public')).current).toBe(secret);
    for (const req of receiver.requests) {
      await expect(verifyWebhook(req.body, req.headers, secret)).resolves.toBeTruthy();
    }
  });

  it('still delivers when the instance that failed an attempt is gone', async () => {
    const redis = await startRedis();
    const receiver = await startReceiver([500]);
    const options = { ...FAST, store: redis.url, webhookRetryDelaysMs: [300] };
    const a = await startTestServer(options);
    const job = await createJob(a, { callback_url: receiver.url, simulate: { duration_ms: 10 } });
    await receiver.waitFor(1);
    await a.close();
    const b = await startTestServer(options);
    await receiver.waitFor(2);
    const [delivery] = await settled(b, job.id);
    expect(delivery).toMatchObject({ state: 'succeeded', attempts: 2 });
    expect(receiver.requests.map((r) => r.status)).toEqual([500, 200]);
  });
});
