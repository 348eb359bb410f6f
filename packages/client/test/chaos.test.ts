/**
 * The client under faults, against the real server with `VT_FAULTS`: 200 concurrent waits with 30 %
 * of status requests failing in each way resolve to the right outcome within a request bound; a full
 * outage (a proxy that refuses connections) is ridden out without multiplying traffic; a server
 * restart on the same SQLite store mid-wait is survived.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '@vtrans/server';
import { afterAll, describe, expect, it } from 'vitest';
import { isJobFailedError, VtransClient } from '@vtrans/client';
import { runOutage, runScenario, SCENARIOS } from '@vtrans/test-support';

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

describe('200 waits with strategy long-poll on one client, 30 % of status requests 500', () => {
  it('all end with the job’s real fate: successes refill the retry budget, so no wait starves', async () => {
    // Each forced long poll is its own request stream, so one client meets ~60 failures at once:
    // three times the budget's burst. A budget refilled only by time (1 token/s) left waits
    // starving until their deadline; its last check then failed 30 % of the time.
    const result = await runScenario(
      { name: '30% 500', faults: '500=0.3' },
      {
        waits: WAITS,
        clients: 1,
        strategy: 'long-poll',
        durationMs: [200, 1200],
        seed: 'chaos-long-poll-budget',
        timeoutMs: 15_000,
      },
    );
    expect(result.wrong).toEqual([]);
    expect(result.correct).toBe(WAITS);
    expect(result.byOutcome['500']).toBeGreaterThan(WAITS / 10);
    expect(result.requests).toBeLessThanOrEqual(WAITS * MAX_REQUESTS_PER_WAIT);
  });
});

describe('outages and restarts', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('rides out a full outage with flat traffic and notices completion soon after recovery', async () => {
    const budget = { capacity: 20, refillPerSecond: 1 };
    const outageMs = 2000;
    const result = await runOutage({
      waits: WAITS,
      outageMs,
      retry: { maxDelayMs: 1000, budget },
    });
    expect(result.wrong).toEqual([]);
    expect(result.correct).toBe(WAITS);
    // Flat traffic: however many waits, the outage costs at most the budget's burst and refill.
    expect(result.requestsDuringOutage).toBeLessThanOrEqual(
      budget.capacity + (outageMs / 1000) * budget.refillPerSecond + 2,
    );
    // Noticed promptly: within the capped retry delay (plus generous slack for a loaded machine).
    expect(result.noticeAfterRecoveryMs.max).toBeLessThan(1000 + 4000);
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
