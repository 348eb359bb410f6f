import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyWebhook } from '@vtrans/client';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { StartServerOptions } from '../src/server.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { startTestServer } from './helpers/server.js';
import { eventually, HANG, startReceiver, type ReceivedRequest } from './webhook-helpers.js';
import { sleep } from '@vtrans/test-support';

/** A tiny schedule so a whole retry sequence takes a fraction of a second. */
const FAST: StartServerOptions = {
  webhookAllowHosts: ['127.0.0.1'],
  webhookRetryDelaysMs: [50, 50, 50],
  webhookPollIntervalMs: 50,
  webhookTimeoutMs: 2000,
};

interface Delivery {
  id: string;
  event_type: string;
  state: string;
  attempts: number;
  history: { attempt: number; status_code: number | null; error: string | null }[];
}

async function createJob(baseUrl: string, body: Record<string, unknown>): Promise<{ id: string }> {
  const res = await fetch(`${baseUrl}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string };
}

async function deliveries(baseUrl: string, jobId: string): Promise<Delivery[]> {
  const res = await fetch(`${baseUrl}/v1/jobs/${jobId}/deliveries`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: Delivery[] }).data;
}

async function secretOf(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/v1/webhooks/secret`);
  return ((await res.json()) as { secret: string }).secret;
}

const verify = (req: ReceivedRequest, secret: string) =>
  verifyWebhook(req.body, req.headers, secret);

/** Waits until a job's deliveries are all settled (none pending). */
const settled = (baseUrl: string, jobId: string) =>
  eventually(async () => {
    const list = await deliveries(baseUrl, jobId);
    return list.length > 0 && list.every((d) => d.state !== 'pending') ? list : undefined;
  });

describe('webhook delivery', () => {
  it('delivers exactly once per terminal job when the receiver fails the first three attempts', async () => {
    const receiver = await startReceiver([500, 503, 502]);
    const srv = await startTestServer(FAST);
    const secret = await secretOf(srv.url);
    const job = await createJob(srv.url, {
      callback_url: receiver.url,
      simulate: { duration_ms: 20, outcome: 'completed' },
    });
    await receiver.waitFor(4);
    const [delivery] = await settled(srv.url, job.id);
    // Longer than the whole schedule: nothing more arrives after the success.
    await sleep(250);
    expect(receiver.requests.map((r) => r.status)).toEqual([500, 503, 502, 200]);

    const ids = new Set(receiver.requests.map((r) => r.headers['webhook-id']));
    expect(ids).toEqual(new Set([`msg_${job.id}_6`]));
    expect(new Set(receiver.requests.map((r) => r.body)).size).toBe(1);
    for (const req of receiver.requests) {
      expect(req.method).toBe('POST');
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.headers['user-agent']).toBe('vtrans-webhooks/0.1');
      const event = await verify(req, secret);
      expect(event).toMatchObject({
        type: 'job.completed',
        data: { id: job.id, status: 'completed' },
      });
    }
    expect(JSON.parse(receiver.requests[0]?.body ?? '')).toMatchObject({
      type: 'job.completed',
      timestamp: expect.any(String),
      data: { id: job.id, version: 2 },
    });
    expect(delivery).toMatchObject({
      state: 'succeeded',
      attempts: 4,
      event_type: 'job.completed',
    });
    expect(delivery?.history.map((a) => [a.attempt, a.status_code])).toEqual([
      [1, 500],
      [2, 503],
      [3, 502],
      [4, 200],
    ]);
    expect(srv.context.webhooks.worker.stats).toMatchObject({
      attempts: 4,
      succeeded: 1,
      failedAttempts: 3,
      retries: 3,
    });
    const metrics = await srv.context.metrics.render();
    expect(metrics).toContain('vtrans_webhook_attempts_total{result="success"} 1');
    expect(metrics).toContain('vtrans_webhook_attempts_total{result="failure"} 3');
    expect(metrics).toContain('vtrans_webhook_retries_total 3');
    expect(metrics).toContain('vtrans_webhook_deliveries_total{state="succeeded"} 1');
  });

  it('sends job.completed, job.failed and job.canceled once each', async () => {
    const receiver = await startReceiver();
    const srv = await startTestServer(FAST);
    const done = await createJob(srv.url, {
      callback_url: receiver.url,
      simulate: { duration_ms: 10, outcome: 'completed' },
    });
    const failed = await createJob(srv.url, {
      callback_url: receiver.url,
      simulate: { duration_ms: 10, outcome: 'error' },
    });
    const canceled = await createJob(srv.url, {
      callback_url: receiver.url,
      simulate: { duration_ms: 60_000 },
    });
    const res = await fetch(`${srv.url}/v1/jobs/${canceled.id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(200);
    await receiver.waitFor(3);
    await sleep(200);
    const byJob = Object.fromEntries(
      receiver.requests.map((r) => {
        const payload = JSON.parse(r.body) as { type: string; data: { id: string } };
        return [payload.data.id, payload.type];
      }),
    );
    expect(receiver.requests).toHaveLength(3);
    expect(byJob).toEqual({
      [done.id]: 'job.completed',
      [failed.id]: 'job.failed',
      [canceled.id]: 'job.canceled',
    });
  });

  it('sends stage changes only when callback_events asks for job.updated', async () => {
    const receiver = await startReceiver();
    const srv = await startTestServer(FAST);
    const quiet = await createJob(srv.url, {
      callback_url: receiver.url,
      simulate: { duration_ms: 300, outcome: 'completed' },
    });
    const chatty = await createJob(srv.url, {
      callback_url: receiver.url,
      callback_events: ['job.updated', 'job.completed'],
      simulate: { duration_ms: 300, outcome: 'completed' },
    });
    await settled(srv.url, quiet.id);
    const chattyDeliveries = await eventually(async () => {
      const list = await deliveries(srv.url, chatty.id);
      return list.some((d) => d.event_type === 'job.completed') &&
        list.every((d) => d.state === 'succeeded')
        ? list
        : undefined;
    });
    expect((await deliveries(srv.url, quiet.id)).map((d) => d.event_type)).toEqual([
      'job.completed',
    ]);
    const types = chattyDeliveries.map((d) => d.event_type);
    expect(types.filter((t) => t === 'job.updated').length).toBeGreaterThanOrEqual(1);
    expect(types.at(-1)).toBe('job.completed');
    expect(new Set(chattyDeliveries.map((d) => d.id)).size).toBe(chattyDeliveries.length);
  });

  it('stops at a 410 Gone', async () => {
    const receiver = await startReceiver([410]);
    const srv = await startTestServer(FAST);
    const job = await createJob(srv.url, {
      callback_url: receiver.url,
      simulate: { duration_ms: 10 },
    });
    const [delivery] = await settled(srv.url, job.id);
    await sleep(250);
    expect(receiver.requests).toHaveLength(1);
    expect(delivery).toMatchObject({ state: 'stopped', attempts: 1 });
  });

  it('gives up after the last delay of the schedule', async () => {
    const receiver = await startReceiver([], 500);
    const srv = await startTestServer({ ...FAST, webhookRetryDelaysMs: [30, 30] });
    const job = await createJob(srv.url, {
      callback_url: receiver.url,
      simulate: { duration_ms: 10 },
    });
    const [delivery] = await settled(srv.url, job.id);
    await sleep(200);
    expect(receiver.requests).toHaveLength(3);
    expect(delivery).toMatchObject({ state: 'failed', attempts: 3 });
    expect(srv.context.webhooks.worker.stats).toMatchObject({ exhausted: 1, retries: 2 });
  });

  it('records connection errors and retries them', async () => {
    const receiver = await startReceiver();
    const closedUrl = receiver.url;
    await receiver.close();
    const srv = await startTestServer({ ...FAST, webhookRetryDelaysMs: [20] });
    const job = await createJob(srv.url, {
      callback_url: closedUrl,
      simulate: { duration_ms: 10 },
    });
    const [delivery] = await settled(srv.url, job.id);
    expect(delivery?.state).toBe('failed');
    expect(delivery?.history).toHaveLength(2);
    expect(delivery?.history[0]).toMatchObject({
      status_code: null,
      error: expect.stringMatching(/ECONNREFUSED/),
    });
  });

  it('redelivers with the same webhook-id after a timeout; a deduplicating receiver acts once', async () => {
    const srv = await startTestServer({ ...FAST, webhookTimeoutMs: 150 });
    const secret = await secretOf(srv.url);
    // The README's receiver: verify the raw body, act once per webhook-id, always answer 2xx.
    const seen = new Set<string>();
    const processed: string[] = [];
    let requests = 0;
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        requests += 1;
        const isFirst = requests === 1;
        void verifyWebhook(Buffer.concat(chunks), req.headers, secret).then((event) => {
          if (!seen.has(event.id)) {
            seen.add(event.id);
            processed.push(event.data.id);
          }
          // The first answer is lost (too slow): the sender times out and sends it again.
          if (!isFirst) res.writeHead(204).end();
        });
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    onTestFinished(async () => {
      receiver.closeAllConnections();
      await new Promise((r) => receiver.close(r));
    });
    const { port } = receiver.address() as AddressInfo;
    const job = await createJob(srv.url, {
      callback_url: `http://127.0.0.1:${port}/hook`,
      simulate: { duration_ms: 10 },
    });
    const [delivery] = await settled(srv.url, job.id);
    expect(requests).toBe(2);
    expect(processed).toEqual([job.id]);
    expect(delivery).toMatchObject({ state: 'succeeded', attempts: 2 });
    expect(delivery?.history[0]).toMatchObject({
      status_code: null,
      error: 'timed out after 150 ms',
    });
  });

  it('still delivers after a restart in the middle of the retry schedule', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vt-webhook-restart-'));
    const store = `sqlite:${join(dir, 'vtrans.db')}`;
    const receiver = await startReceiver([500]);
    const options = { ...FAST, store, webhookRetryDelaysMs: [400, 50] };
    const first = await startTestServer(options);
    const secret = await secretOf(first.url);
    const job = await createJob(first.url, {
      callback_url: receiver.url,
      simulate: { duration_ms: 10 },
    });
    await receiver.waitFor(1);
    await first.close();
    // The retry is due 400 ms after the failure; the next instance, on the same file, sends it.
    const second = await startTestServer(options);
    await receiver.waitFor(2);
    const [delivery] = await settled(second.url, job.id);
    expect(receiver.requests.map((r) => r.status)).toEqual([500, 200]);
    expect(delivery).toMatchObject({ state: 'succeeded', attempts: 2 });
    // The secret lives in the store too: both instances signed with it.
    expect(await secretOf(second.url)).toBe(secret);
    for (const req of receiver.requests) await expect(verify(req, secret)).resolves.toBeTruthy();
  });

  it('retries an attempt cut off by shutdown at the next start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vt-webhook-shutdown-'));
    const store = `sqlite:${join(dir, 'vtrans.db')}`;
    // The first answer never comes: the attempt is in flight when the server stops.
    const receiver = await startReceiver([HANG]);
    const options = { ...FAST, store, webhookTimeoutMs: 60_000 };
    const first = await startTestServer(options);
    const job = await createJob(first.url, {
      callback_url: receiver.url,
      simulate: { duration_ms: 10 },
    });
    await receiver.waitFor(1);
    await first.close();
    const second = await startTestServer(options);
    await receiver.waitFor(2);
    const [delivery] = await settled(second.url, job.id);
    expect(delivery).toMatchObject({ state: 'succeeded', attempts: 2 });
    expect(delivery?.history[0]).toMatchObject({
      status_code: null,
      error: 'canceled: server shutting down',
    });
  });

  it('sends each attempt from exactly one of two instances sharing a store', async () => {
    // One SQLite file belongs to one process, so the two instances share the store object, as two
    // apps in one process would; the lease is what keeps them from sending an attempt twice.
    // (Two processes share a Redis store: webhook-redis.test.ts.)
    const dir = mkdtempSync(join(tmpdir(), 'vt-webhook-shared-'));
    const store = new SqliteStore(join(dir, 'vtrans.db'));
    onTestFinished(() => store.close());
    const receiver = await startReceiver([500, 500, 500]);
    const a = await startTestServer({ ...FAST, store, webhookPollIntervalMs: 10 });
    const b = await startTestServer({ ...FAST, store, webhookPollIntervalMs: 10 });
    const jobs = [];
    for (let i = 0; i < 6; i++) {
      jobs.push(
        await createJob((i % 2 ? a : b).url, {
          callback_url: receiver.url,
          simulate: { duration_ms: 20 },
        }),
      );
    }
    for (const job of jobs) await settled(a.url, job.id);
    await sleep(200);
    const ids = receiver.requests
      .filter((r) => r.status === 200)
      .map((r) => r.headers['webhook-id']);
    expect(ids.sort()).toEqual(jobs.map((j) => `msg_${j.id}_6`).sort());
    // 6 successes plus the 3 scripted failures: no attempt was sent twice.
    expect(receiver.requests).toHaveLength(9);
  });
});

describe('webhook secrets', () => {
  it('rotation signs with both secrets during the grace period, then only the new one', async () => {
    const receiver = await startReceiver();
    const srv = await startTestServer(FAST);
    const oldSecret = await secretOf(srv.url);
    expect(oldSecret).toMatch(/^whsec_/);
    const rotated = await fetch(`${srv.url}/v1/webhooks/secret/rotate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grace_period_ms: 400 }),
    });
    expect(rotated.status).toBe(200);
    const set = (await rotated.json()) as {
      secret: string;
      previous_secret: string;
      previous_expires_at: string;
    };
    expect(set.previous_secret).toBe(oldSecret);
    expect(set.secret).not.toBe(oldSecret);
    expect(await secretOf(srv.url)).toBe(set.secret);

    await createJob(srv.url, { callback_url: receiver.url, simulate: { duration_ms: 0 } });
    const [during] = await receiver.waitFor(1);
    if (!during) throw new Error('no delivery');
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    await expect(verify(during, oldSecret)).resolves.toBeTruthy();
    await expect(verify(during, set.secret)).resolves.toBeTruthy();

    await sleep(Math.max(0, Date.parse(set.previous_expires_at) - Date.now()) + 50);
    const after = await (await fetch(`${srv.url}/v1/webhooks/secret`)).json();
    expect(after).toEqual({ secret: set.secret, previous_secret: null, previous_expires_at: null });
    await createJob(srv.url, { callback_url: receiver.url, simulate: { duration_ms: 0 } });
    const [, later] = await receiver.waitFor(2);
    if (!later) throw new Error('no delivery');
    expect(String(later.headers['webhook-signature']).split(' ')).toHaveLength(1);
    await expect(verify(later, set.secret)).resolves.toBeTruthy();
    await expect(verify(later, oldSecret)).rejects.toMatchObject({ reason: 'invalid_signature' });
  });

  it('uses VT_WEBHOOK_SECRET in open mode and refuses to rotate it through the API', async () => {
    const configured = `whsec_${Buffer.alloc(24, 3).toString('base64')}`;
    const srv = await startTestServer({ ...FAST, webhookSecret: configured });
    expect(await secretOf(srv.url)).toBe(configured);
    const res = await srv.app.inject({ method: 'POST', url: '/v1/webhooks/secret/rotate' });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'forbidden' });
  });

  it('refuses a malformed rotation request', async () => {
    const srv = await startTestServer(FAST);
    const res = await srv.app.inject({
      method: 'POST',
      url: '/v1/webhooks/secret/rotate',
      payload: { grace_period_ms: -1 },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });
});

describe('GET /v1/jobs/{id}/deliveries', () => {
  it("is 404 for unknown jobs and other tenants' jobs", async () => {
    const srv = await startTestServer(FAST);
    const unknown = await srv.app.inject({ url: '/v1/jobs/job_nope/deliveries' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'job_not_found' });
    const now = Date.now();
    await srv.context.store.createJob(
      {
        id: 'job_othertenant000000',
        tenant: 'someone-else',
        sourceUrl: null,
        targetLanguage: null,
        callbackUrl: null,
        callbackEvents: null,
        createdAt: now,
        etaAt: now + 60_000,
        finishAt: now + 60_000,
        outcome: 'completed',
        errorCode: null,
        errorMessage: null,
        canceledAt: null,
        emittedStep: 0,
      },
      {
        tenant: 'someone-else',
        jobId: 'job_othertenant000000',
        type: 'job.created',
        at: now,
        data: {} as never,
      },
    );
    const other = await srv.app.inject({ url: '/v1/jobs/job_othertenant000000/deliveries' });
    expect(other.statusCode).toBe(404);
  });

  it('lists nothing for a job without callback_url', async () => {
    const srv = await startTestServer(FAST);
    const job = await createJob(srv.url, { simulate: { duration_ms: 0 } });
    expect(await deliveries(srv.url, job.id)).toEqual([]);
  });
});
