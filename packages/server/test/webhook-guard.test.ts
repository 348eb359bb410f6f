import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  callbackUrlProblem,
  forbiddenAddressReason,
  ipv6ToGroups,
} from '../src/webhooks/address-guard.js';
import { systemClock } from '../src/clock.js';
import { eventForStep } from '../src/sim/job-events.js';
import { TERMINAL_STEP, type JobRecord } from '../src/sim/job-model.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { WebhookSecrets } from '../src/webhooks/secrets.js';
import { sendWebhook, type ResolveAll } from '../src/webhooks/sender.js';
import { DeliveryWorker } from '../src/webhooks/worker.js';
import { eventually } from './webhook-helpers.js';
import type { RunningServer } from '../src/server.js';
import { startTestServer } from './helpers/server.js';

describe('the address classifier', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'metadata'],
    ['169.254.1.1', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'unique local'],
    ['fd12:3456::1', 'unique local'],
    ['fd00:ec2::254', 'metadata'],
    ['fe80::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'IPv4-mapped'],
    ['::ffff:7f00:1', 'IPv4-mapped'],
    ['::ffff:8.8.8.8', 'IPv4-mapped'],
    ['64:ff9b::10.0.0.1', 'NAT64'],
    ['2002:0a00:0001::1', '6to4'],
  ])('refuses %s (%s)', (address, kind) => {
    expect(forbiddenAddressReason(address)).toContain(kind);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '169.255.0.1', '2606:4700::1111'])(
    'allows the public address %s',
    (address) => {
      expect(forbiddenAddressReason(address)).toBeUndefined();
    },
  );

  it('refuses what is not an IP address', () => {
    expect(forbiddenAddressReason('example.com')).toBe('not a valid IP address');
  });

  it('expands IPv6 forms', () => {
    expect(ipv6ToGroups('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(ipv6ToGroups('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x102, 0x304]);
    expect(ipv6ToGroups('1::2::3')).toBeUndefined();
  });
});

describe('callback_url at job creation', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });

  it.each([
    ['file:///etc/passwd', 'only http: and https:'],
    ['ftp://example.com/x', 'only http: and https:'],
    ['gopher://example.com/', 'only http: and https:'],
    ['http://user:pass@example.com/hook', 'credentials'],
    ['http://user@example.com/hook', 'credentials'],
    ['http://10.0.0.1/hook', 'private'],
    ['http://[::1]/hook', 'loopback'],
    ['http://127.0.0.1:8080/hook', 'loopback'],
    ['http://169.254.169.254/latest/meta-data/', 'metadata'],
    ['http://0.0.0.0/', 'unspecified'],
    ['http://[::ffff:127.0.0.1]/', 'IPv4-mapped'],
    ['http://2130706433/', 'loopback'],
    ['http://0x7f000001/', 'loopback'],
    ['http://0177.0.0.1/', 'loopback'],
    ['http://127.1/', 'loopback'],
    ['http://localhost:3000/hook', 'loopback name'],
    ['http://app.localhost/hook', 'loopback name'],
    ['http://[fd00:ec2::254]/', 'metadata'],
    ['not a url', 'not an absolute URL'],
    [`https://example.com/${'a'.repeat(2048)}`, 'longer than 2048'],
  ])('refuses %.60s with a problem naming the reason', async (url, reason) => {
    expect(callbackUrlProblem(url, [])).toContain(reason);
    const res = await srv.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { callback_url: url },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const problem = res.json<{ code: string; detail: string }>();
    // Over 2048 characters the schema refuses first, with its own (still clear) problem.
    if (url.length <= 2048) {
      expect(problem.code).toBe('invalid_callback_url');
      expect(problem.detail).toContain(reason);
    } else {
      expect(problem.code).toBe('invalid_request');
      expect(problem.detail).toContain('callback_url');
    }
  });

  it('accepts public names and addresses', async () => {
    expect(callbackUrlProblem('https://hooks.example.com/vtrans?x=1', [])).toBeUndefined();
    expect(callbackUrlProblem('http://93.184.216.34/hook', [])).toBeUndefined();
    const res = await srv.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { callback_url: 'https://hooks.example.com/vtrans' },
    });
    expect(res.statusCode).toBe(201);
  });

  it('accepts hosts listed in VT_WEBHOOK_ALLOW_HOSTS', async () => {
    expect(callbackUrlProblem('http://127.0.0.1:9/x', ['127.0.0.1'])).toBeUndefined();
    expect(callbackUrlProblem('http://[::1]:9/x', ['[::1]'])).toBeUndefined();
    expect(callbackUrlProblem('http://LOCALHOST/x', ['localhost'])).toBeUndefined();
    // Still only http(s) and no credentials.
    expect(callbackUrlProblem('http://a:b@127.0.0.1/x', ['127.0.0.1'])).toContain('credentials');
    const allowing = await startTestServer({ webhookAllowHosts: ['127.0.0.1'] });
    const res = await allowing.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { callback_url: 'http://127.0.0.1:9/hook' },
    });
    expect(res.statusCode).toBe(201);
  });
});

describe('the delivery-time guard', () => {
  const base = { body: '{}', headers: {}, timeoutMs: 1000 };

  it('refuses a name that resolves to a private address, without connecting', async () => {
    const asked: string[] = [];
    const resolve: ResolveAll = async (host) => {
      asked.push(host);
      return [{ address: '10.1.2.3', family: 4 }];
    };
    const result = await sendWebhook({
      ...base,
      url: 'https://hooks.example.com/x',
      allowHosts: [],
      resolve,
    });
    expect(asked).toEqual(['hooks.example.com']);
    expect(result).toMatchObject({ statusCode: null, isRefused: true });
    expect(result.error).toContain('hooks.example.com resolves to 10.1.2.3, a private address');
  });

  it('refuses when any one of several addresses is forbidden', async () => {
    const resolve: ResolveAll = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '::1', family: 6 },
    ];
    const result = await sendWebhook({
      ...base,
      url: 'http://rebind.example/x',
      allowHosts: [],
      resolve,
    });
    expect(result.isRefused).toBe(true);
    expect(result.error).toContain('::1, a loopback address');
  });

  it('connects to the address it checked, keeping the name in Host', async () => {
    const seen: { host?: string | undefined; path?: string | undefined }[] = [];
    const server = createServer((req, res) => {
      seen.push({ host: req.headers.host, path: req.url });
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      let calls = 0;
      // The first answer is checked and pinned; a rebinding answer afterwards is never used.
      const resolve: ResolveAll = async () =>
        calls++ === 0
          ? [{ address: '127.0.0.1', family: 4 }]
          : [{ address: '10.0.0.1', family: 4 }];
      const result = await sendWebhook({
        ...base,
        url: `http://receiver.test:${port}/hook?a=1`,
        allowHosts: ['receiver.test'],
        resolve,
      });
      expect(result).toMatchObject({ statusCode: 204, error: null, isRefused: false });
      expect(calls).toBe(1);
      expect(seen).toEqual([{ host: `receiver.test:${port}`, path: '/hook?a=1' }]);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('does not follow redirects', async () => {
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const result = await sendWebhook({
        ...base,
        url: `http://127.0.0.1:${port}/`,
        allowHosts: ['127.0.0.1'],
      });
      expect(result.statusCode).toBe(302);
      expect(hits).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('times out a receiver that never answers', async () => {
    const server = createServer(() => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const result = await sendWebhook({
        ...base,
        timeoutMs: 100,
        url: `http://127.0.0.1:${port}/`,
        allowHosts: ['127.0.0.1'],
      });
      expect(result).toMatchObject({ statusCode: null, error: 'timed out after 100 ms' });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('the delivery worker with the guard', () => {
  it('records a refused attempt with its reason and schedules a retry, never connecting', async () => {
    const store = new MemoryStore();
    const now = Date.now();
    const rec: JobRecord = {
      id: 'job_refused',
      tenant: 'public',
      sourceUrl: null,
      targetLanguage: null,
      callbackUrl: 'https://hooks.example.com/x',
      callbackEvents: null,
      createdAt: now - 10,
      etaAt: now,
      finishAt: now,
      outcome: 'completed',
      errorCode: null,
      errorMessage: null,
      canceledAt: null,
      emittedStep: 0,
    };
    await store.createJob(rec, eventForStep(rec, 0, rec.createdAt));
    await store.emitSteps([
      { id: rec.id, step: TERMINAL_STEP, event: eventForStep(rec, TERMINAL_STEP, now) },
    ]);
    const resolved: string[] = [];
    const worker = new DeliveryWorker({
      store,
      clock: systemClock,
      log: { warn: () => undefined, info: () => undefined, debug: () => undefined },
      secrets: new WebhookSecrets(store, systemClock, undefined, 'public'),
      retryDelaysMs: [60_000],
      timeoutMs: 1000,
      allowHosts: [],
      pollIntervalMs: 10,
      random: () => 0.5,
      resolve: async (host) => {
        resolved.push(host);
        return [{ address: '192.168.0.10', family: 4 }];
      },
    });
    worker.start();
    try {
      const [delivery] = await eventually(async () => {
        const list = await store.listDeliveries(rec.id);
        return list[0]?.attempts === 1 ? list : undefined;
      });
      expect(resolved).toEqual(['hooks.example.com']);
      expect(delivery?.state).toBe('pending');
      expect(delivery?.history[0]).toMatchObject({
        statusCode: null,
        error: 'refused: hooks.example.com resolves to 192.168.0.10, a private address',
      });
      const attempt = delivery?.history[0];
      expect((attempt?.nextAttemptAt ?? 0) - (attempt?.at ?? 0)).toBeGreaterThanOrEqual(60_000);
      expect(worker.stats).toMatchObject({ attempts: 1, failedAttempts: 1, retries: 1 });
    } finally {
      await worker.stop();
    }
  });
});
