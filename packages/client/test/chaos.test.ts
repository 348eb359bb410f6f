/**
 * The client under faults, against the real server with `VT_FAULTS`: 200 concurrent waits with 30 %
 * of status requests failing in each way resolve to the right outcome within a request bound; a full
 * outage (a proxy that refuses connections) is ridden out without multiplying traffic; a server
 * restart on the same SQLite store mid-wait is survived.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '@vtrans/server';
import { afterAll, describe, expect, it } from 'vitest';
import { isJobFailedError, VtransClient, type Job } from '@vtrans/client';
import { runScenario, SCENARIOS } from '../../../bench/chaos/harness.js';

const WAITS = 200;
/**
 * Requests per wait, at most: a lone `auto` wait needs ⌈duration / hold⌉ + 1 = 2 requests; 30 %
 * failures make that 2 / (1 − 0.3) ≈ 2.9 on average. Shared transports make the real figure far
 * lower; the bound says a fault never turns into a retry storm.
 */
const MAX_REQUESTS_PER_WAIT = 3;

describe('200 concurrent waits with 30 % of status requests failing', () => {
  const faulty = SCENARIOS.filter((s) => s.faults !== undefined);
  const cases = [
    // One client: all 200 waits share one event stream, so few requests meet a fault.
    ...faulty.filter((s) => s.name.includes('mixed')).map((s) => [s.name, 1, s] as const),
    // Twenty clients of ten waits: about ten times the requests, so every fault is met often.
    ...faulty.map((s) => [s.name, 20, s] as const),
  ];
  it.each(cases)(
    '%s, spread over %i client(s): every wait ends with the job’s real fate, within the request bound',
    async (_name, clients, scenario) => {
      const result = await runScenario(scenario, {
        waits: WAITS,
        clients,
        durationMs: [200, 1200],
        seed: `chaos-${scenario.name}`,
        timeoutMs: 25_000,
      });
      expect(result.wrong).toEqual([]);
      expect(result.correct).toBe(WAITS);
      expect(result.requests).toBeLessThanOrEqual(WAITS * MAX_REQUESTS_PER_WAIT);
      if (clients > 1 && !scenario.name.includes('truncat')) {
        // The faults really happened to these clients (a truncated body fails after its 200).
        const failures = Object.entries(result.byOutcome)
          .filter(([k]) => k === 'network' || Number(k) >= 500)
          .reduce((n, [, v]) => n + v, 0);
        expect(failures).toBeGreaterThan(result.requests / 10);
      }
    },
  );
});

/** A TCP proxy we can take down (refusing connections) and bring back on the same port. */
class OutageProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  connections = 0;

  constructor(private readonly targetPort: number) {}

  async up(): Promise<void> {
    const server = createServer((client) => {
      this.connections++;
      const upstream = connect(this.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    this.server = server;
  }

  /** Refuses new connections and cuts the open ones. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('outages and restarts', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('rides out a full outage with flat traffic and notices completion soon after recovery', async () => {
    const srv = await startServer({
      port: 0,
      host: '127.0.0.1',
      store: 'memory',
      logLevel: 'silent',
    });
    const proxy = new OutageProxy(srv.port);
    await proxy.up();
    try {
      const creator = new VtransClient({ baseUrl: srv.url });
      const requestTimes: number[] = [];
      const budget = { capacity: 20, refillPerSecond: 1 };
      const waiter = new VtransClient({
        baseUrl: `http://127.0.0.1:${proxy.port}`,
        retry: { maxDelayMs: 1000, budget },
        fetch: (input, init) => {
          requestTimes.push(Date.now());
          return fetch(input, init);
        },
      });
      const OUTAGE_MS = 2000;
      const jobs = await Promise.all(
        Array.from({ length: WAITS }, (_, i) =>
          creator.createJob({
            simulate: {
              duration_ms: 600 + (i % 10) * 100,
              outcome: i % 10 === 9 ? 'error' : 'completed',
            },
          }),
        ),
      );
      const settled: { job: Job; ok: boolean; at: number }[] = [];
      const waits = jobs.map((job) =>
        waiter.waitForJob(job.id, { timeoutMs: 30_000 }).then(
          (done) => settled.push({ job: done, ok: true, at: Date.now() }),
          (err: unknown) => {
            if (!isJobFailedError(err)) throw err;
            settled.push({ job: err.job, ok: false, at: Date.now() });
          },
        ),
      );
      await new Promise((r) => setTimeout(r, 300));
      const downAt = Date.now();
      await proxy.down();
      // Every job finishes while the server is unreachable.
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      const upAt = Date.now();
      await proxy.up();
      await Promise.all(waits);

      expect(settled).toHaveLength(WAITS);
      for (const s of settled) expect(s.job.status).toBe(s.ok ? 'completed' : 'error');
      // Flat traffic: however many waits, the outage costs at most the budget's burst and refill.
      const duringOutage = requestTimes.filter((t) => t >= downAt && t < upAt).length;
      expect(duringOutage).toBeLessThanOrEqual(
        budget.capacity + (OUTAGE_MS / 1000) * budget.refillPerSecond + 2,
      );
      // Noticed promptly: within the capped retry delay (plus generous slack for a loaded machine).
      const lastSettled = Math.max(...settled.map((s) => s.at));
      expect(lastSettled - upAt).toBeLessThan(1000 + 4000);
    } finally {
      await proxy.down();
      await srv.close();
    }
  });

  it('survives a server restart on the same store mid-wait', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vtrans-chaos-'));
    dirs.push(dir);
    const store = `sqlite:${join(dir, 'vtrans.db')}`;
    const first = await startServer({ port: 0, host: '127.0.0.1', store, logLevel: 'silent' });
    const port = first.port;
    const client = new VtransClient({ baseUrl: first.url, retry: { maxDelayMs: 500 } });
    const jobs = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        client.createJob({
          simulate: { duration_ms: 500 + i * 20, outcome: i % 5 === 0 ? 'error' : 'completed' },
        }),
      ),
    );
    const outcomes = jobs.map((job) =>
      client.waitForJob(job.id, { timeoutMs: 20_000 }).then(
        (done) => done.status,
        (err: unknown) => (isJobFailedError(err) ? err.job.status : `unexpected: ${String(err)}`),
      ),
    );
    await new Promise((r) => setTimeout(r, 200));
    await first.close();
    await new Promise((r) => setTimeout(r, 300));
    const second = await startServer({ port, host: '127.0.0.1', store, logLevel: 'silent' });
    try {
      const statuses = await Promise.all(outcomes);
      expect(statuses).toEqual(jobs.map((_, i) => (i % 5 === 0 ? 'error' : 'completed')));
    } finally {
      await second.close();
    }
  });
});
