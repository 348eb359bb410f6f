/**
 * What several instances on one Redis share beyond jobs: rate-limit windows (a key's allowance is
 * the same whichever instance it reaches) and webhook deliveries (each attempt is leased to one
 * instance, so a receiver gets it once even with every instance's worker polling).
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiKeys } from '../src/access-config.js';
import { parseRateLimits } from '../src/rate-limit/policies.js';
import type { RunningServer } from '../src/server.js';
import { needs, type RedisServer, sleep, startRedis } from '@vtrans/test-support';
import { startTestServer } from './helpers/server.js';

const hasRedis = needs('redis', 'instances sharing one Redis');

const KEY = 'sk_test_shared_0123456789';
const HOOK_KEY = 'sk_test_hooks_0123456789';

describe.skipIf(!hasRedis)('instances sharing one Redis', () => {
  let redis: RedisServer;
  let a: RunningServer;
  let b: RunningServer;
  let receiver: Server;
  let receiverUrl = '';
  const received: string[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    receiver = createServer((req, res) => {
      received.push(String(req.headers['webhook-id']));
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const address = receiver.address();
    receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;
    const options = {
      store: redis.url,
      apiKeys: parseApiKeys('VT_API_KEYS', `${KEY}:acme:free,${HOOK_KEY}:hooks:pro`),
      rateLimits: parseRateLimits('VT_RATE_LIMITS', 'free=6/min,pro=600/min'),
      webhookAllowHosts: ['127.0.0.1'],
      // Both workers look for due deliveries often, so they would collide without the lease.
      webhookPollIntervalMs: 20,
      translationDelayMs: 3_600_000,
    };
    a = await startTestServer(options);
    b = await startTestServer(options);
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it("counts a key's requests against one window across instances", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const srv = i % 2 ? b : a;
      const res = await fetch(`${srv.url}/status`, { headers: { authorization: `Bearer ${KEY}` } });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
  });

  it('sends each webhook attempt once although both instances run a delivery worker', async () => {
    const headers = { authorization: `Bearer ${HOOK_KEY}`, 'content-type': 'application/json' };
    const jobs: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${(i % 2 ? b : a).url}/v1/jobs`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ callback_url: receiverUrl, simulate: { duration_ms: 50 } }),
      });
      expect(res.status).toBe(201);
      jobs.push(((await res.json()) as { id: string }).id);
    }
    await expect.poll(() => received.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    // Give both workers many more polls to send anything twice.
    await sleep(500);
    expect([...received].sort()).toEqual(jobs.map((id) => `msg_${id}_6`).sort());
  });
});
