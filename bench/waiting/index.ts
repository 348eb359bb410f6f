/**
 * bench/waiting: how late, and at what cost in requests, each way of waiting learns that a job
 * finished. Jobs run on the real server in this process (memory store); every approach waits on
 * its own jobs of the same distribution, all at once. Run: `npx tsx bench/waiting/index.ts [--quick]`.
 */
import { startServer } from '@vtrans/server';
import { VtransClient } from '@vtrans/client';
import { APPROACHES, type Counter } from './approaches.js';
import { percentile } from '@vtrans/test-support';

/** One family of jobs: `jobs` per approach, duration `meanMs` ± `jitter` (the server's `eta` is the mean). */
export interface Scenario {
  readonly meanMs: number;
  readonly jitter: number;
  readonly jobs: number;
}

/** One line of the table. */
export interface Row {
  readonly scenario: string;
  readonly approach: string;
  readonly jobs: number;
  readonly gaveUp: number;
  readonly p50Ms: number;
  /** The latest of the waits (10–20 a row: too few for a p99, which would be this maximum anyway). */
  readonly maxMs: number;
  readonly meanMs: number;
  readonly requestsPerJob: number;
}

export const QUICK: readonly Scenario[] = [{ meanMs: 1500, jitter: 0.2, jobs: 3 }];
export const FULL: readonly Scenario[] = [
  { meanMs: 3000, jitter: 0.5, jobs: 20 },
  { meanMs: 10_000, jitter: 0.2, jobs: 20 },
  { meanMs: 30_000, jitter: 0.2, jobs: 10 },
];

async function runScenario(baseUrl: string, scenario: Scenario): Promise<Row[]> {
  const creator = new VtransClient({ baseUrl });
  const label = `${scenario.meanMs / 1000} s ± ${scenario.jitter * 100} %`;
  const runs = APPROACHES.map((approach) => {
    const counter: Counter = { requests: 0 };
    return {
      approach,
      counter,
      wait: approach.prepare(baseUrl, counter),
      results: [] as Promise<number | undefined>[],
    };
  });
  // Round-robin creation, each wait starting as soon as its job exists, so no approach gets
  // systematically older jobs.
  for (let i = 0; i < scenario.jobs; i += 1) {
    for (const run of runs) {
      const job = await creator.createJob({
        simulate: { duration_ms: scenario.meanMs, jitter: scenario.jitter, outcome: 'completed' },
      });
      run.results.push(
        run
          .wait(job.id)
          .then((done) =>
            done === undefined ? undefined : Date.now() - Date.parse(done.completed_at ?? ''),
          ),
      );
    }
  }
  const rows: Row[] = [];
  for (const run of runs) {
    const lateness = await Promise.all(run.results);
    const seen = lateness.filter((ms): ms is number => ms !== undefined).sort((a, b) => a - b);
    rows.push({
      scenario: label,
      approach: run.approach.name,
      jobs: lateness.length,
      gaveUp: lateness.length - seen.length,
      p50Ms: percentile(seen, 50),
      maxMs: seen.at(-1) ?? Number.NaN,
      meanMs: seen.reduce((a, b) => a + b, 0) / Math.max(1, seen.length),
      requestsPerJob: run.counter.requests / lateness.length,
    });
  }
  return rows;
}

/**
 * Touches every route once with each strategy: Fastify compiles a route's serializers on first
 * use (hundreds of ms here), which would otherwise be charged to the first approaches.
 */
async function warmUp(baseUrl: string): Promise<void> {
  const client = new VtransClient({ baseUrl });
  const create = () => client.createJob({ simulate: { duration_ms: 50, outcome: 'completed' } });
  const strategies = ['auto', 'auto', 'long-poll', 'sse', 'poll'] as const;
  const jobs = await Promise.all(strategies.map(create));
  await Promise.all(
    jobs.map((job, i) => client.waitForJob(job.id, { strategy: strategies[i] ?? 'auto' })),
  );
  await client.waitForStatus({ jobId: jobs[0]?.id ?? '' });
  for await (const page of client.listJobs().pages()) if (page.data.length > 0) break;
  const events = new AbortController();
  const stream = await fetch(`${baseUrl}/v1/events`, { signal: events.signal });
  events.abort();
  await stream.body?.cancel().catch(() => undefined);
}

/** Runs the benchmark on a fresh in-process server and returns the table's rows. */
export async function runWaitingBench(options: { quick: boolean }): Promise<Row[]> {
  const srv = await startServer({ port: 0, store: 'memory', host: '127.0.0.1', logLevel: 'error' });
  try {
    await warmUp(srv.url);
    const rows: Row[] = [];
    for (const scenario of options.quick ? QUICK : FULL)
      rows.push(...(await runScenario(srv.url, scenario)));
    return rows;
  } finally {
    await srv.close();
  }
}

/** Renders rows as a Markdown table. */
export function formatTable(rows: readonly Row[]): string {
  const ms = (n: number) => (Number.isNaN(n) ? '—' : `${Math.round(n)}`);
  const lines = [
    '| jobs | approach | waits | gave up | p50 late (ms) | max late (ms) | mean late (ms) | requests/job |',
    '|---|---|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.scenario} | ${r.approach} | ${r.jobs} | ${r.gaveUp} | ${ms(r.p50Ms)} | ${ms(r.maxMs)} | ${ms(r.meanMs)} | ${r.requestsPerJob.toFixed(1)} |`,
    );
  }
  return lines.join('\n');
}

const isMain =
  process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isMain) {
  const quick = process.argv.includes('--quick');
  const startedAt = Date.now();
  const rows = await runWaitingBench({ quick });
  console.log(formatTable(rows));
  console.log(
    `\n${quick ? 'quick' : 'full'} run, ${((Date.now() - startedAt) / 1000).toFixed(1)} s, Node ${process.version}`,
  );
}
