/**
 * The chaos harness: an in-process vtrans server with `VT_FAULTS`, a set of jobs with known fates
 * (completed, failed, canceled mid-wait), and many concurrent `waitForJob` calls on one client
 * whose `fetch` counts every request. Shared by `bench/chaos` and the client's chaos test.
 */
import { materialize, startServer } from '@vtrans/server';
import { OutageProxy } from './outage-proxy.js';
import { p99, percentile } from './percentile.js';
import {
  isJobCanceledError,
  isJobFailedError,
  VtransClient,
  type ClientOptions,
  type Job,
  type WaitStrategy,
} from '@vtrans/client';

export interface ChaosOptions {
  /** Concurrent waits (one job each). */
  waits: number;
  /** Job durations are spread evenly over this range, ms. */
  durationMs: [min: number, max: number];
  /** Seeds the server's simulator and fault decisions. */
  seed: string;
  /** Each wait's deadline. */
  timeoutMs: number;
  /** Retry settings for the waiting client. */
  retry?: ClientOptions['retry'];
  /**
   * Clients the waits are spread over (round robin). One client shares one transport between all
   * its waits; several make many more requests, so the faults hit more often. @default 1
   */
  clients?: number;
  /** The waits' strategy. @default 'auto' */
  strategy?: WaitStrategy;
}

export interface Scenario {
  name: string;
  /** A `VT_FAULTS` spec (applied to GETs only: status requests), or undefined for none. */
  faults: string | undefined;
}

export type Fate = 'completed' | 'error' | 'canceled';

export interface ScenarioResult {
  name: string;
  clients: number;
  strategy: WaitStrategy;
  faults: string;
  waits: number;
  /** Waits that ended with the job's real fate. */
  correct: number;
  /** Waits that ended otherwise (timeout, wrong outcome, unexpected error), with why. */
  wrong: string[];
  /**
   * How long after the job's `completed_at` each wait settled, ms. `p99` is NaN under
   * `MIN_SAMPLES_FOR_P99` waits, where it would only be the maximum.
   */
  latenessMs: { p50: number; p90: number; p99: number; max: number };
  requests: number;
  requestsPerWait: number;
  /** Requests by outcome: HTTP status, or `network` for a failure without an answer. */
  byOutcome: Record<string, number>;
  wallMs: number;
}

/** Fewer waits than this have no p99 of their own: the 99th percentile would be their maximum. */

/** 30 % of status requests failing: one scenario per way of failing, and all of them together. */
export const SCENARIOS: Scenario[] = [
  { name: 'no faults', faults: undefined },
  { name: '30% 503 + Retry-After', faults: '503=0.3,retry-after=1' },
  { name: '30% 500', faults: '500=0.3' },
  { name: '30% reset', faults: 'reset=0.3' },
  { name: '30% truncated', faults: 'truncate=0.3' },
  {
    name: '30% mixed + latency',
    faults: '503=0.1,500=0.05,reset=0.075,truncate=0.075,latency=0-50ms',
  },
];

/** The fate of the i-th job: mostly completed, some failed, a few canceled while waited on. */
export function fateOf(i: number): Fate {
  return i % 10 === 7 ? 'error' : i % 20 === 3 ? 'canceled' : 'completed';
}

/** The clients the waits run on (`options.clients`, default 1), each counting through `fetchFn`. */
function waiterClients(
  baseUrl: string,
  fetchFn: typeof fetch,
  options: { clients?: number | undefined; retry?: ClientOptions['retry'] | undefined },
): VtransClient[] {
  return Array.from(
    { length: options.clients ?? 1 },
    () =>
      new VtransClient({
        baseUrl,
        fetch: fetchFn,
        ...(options.retry ? { retry: options.retry } : {}),
      }),
  );
}

export async function runScenario(
  scenario: Scenario,
  options: ChaosOptions,
): Promise<ScenarioResult> {
  const faults = scenario.faults ? `${scenario.faults},methods=GET` : undefined;
  const srv = await startServer({
    port: 0,
    host: '127.0.0.1',
    store: 'memory',
    logLevel: 'silent',
    seed: options.seed,
    ...(faults ? { faults } : {}),
  });
  const byOutcome: Record<string, number> = {};
  const count = (key: string) => (byOutcome[key] = (byOutcome[key] ?? 0) + 1);
  let requests = 0;
  const countingFetch: typeof fetch = async (input, init) => {
    requests++;
    try {
      const res = await fetch(input, init);
      count(String(res.status));
      return res;
    } catch (err) {
      count('network');
      throw err;
    }
  };
  try {
    const creator = new VtransClient({ baseUrl: srv.url });
    const waiters = waiterClients(srv.url, countingFetch, options);
    const [lo, hi] = options.durationMs;
    const jobs: { job: Job; fate: Fate; durationMs: number }[] = [];
    for (let i = 0; i < options.waits; i += 50) {
      const batch = Array.from({ length: Math.min(50, options.waits - i) }, async (_, k) => {
        const n = i + k;
        const fate = fateOf(n);
        const durationMs = Math.round(lo + ((hi - lo) * n) / Math.max(1, options.waits - 1));
        const job = await creator.createJob({
          simulate: { duration_ms: durationMs, outcome: fate === 'error' ? 'error' : 'completed' },
        });
        return { job, fate, durationMs };
      });
      jobs.push(...(await Promise.all(batch)));
    }
    const started = performance.now();
    const waitsStartedAt = Date.now();
    const lateness: number[] = [];
    const seen = new Map<string, string>();
    // Lateness counts from the finish, or from the wait's start for a job already finished.
    const settledAt = (job: Job | undefined) => {
      const at = job?.completed_at ? Date.parse(job.completed_at) : Number.NaN;
      if (Number.isFinite(at))
        lateness.push(Math.max(0, Date.now() - Math.max(at, waitsStartedAt)));
    };
    await Promise.all(
      jobs.map(async ({ job, fate, durationMs }, i) => {
        const waiter = waiters[i % waiters.length];
        if (fate === 'canceled') {
          const cancelInMs = Date.parse(job.created_at) + durationMs / 2 - Date.now();
          setTimeout(
            () => void creator.cancelJob(job.id).catch(() => undefined),
            Math.max(0, cancelInMs),
          );
        }
        try {
          settledAt(
            await waiter!.waitForJob(job.id, {
              timeoutMs: options.timeoutMs,
              strategy: options.strategy ?? 'auto',
            }),
          );
          seen.set(job.id, 'completed');
        } catch (err) {
          if (isJobFailedError(err)) {
            settledAt(err.job);
            seen.set(job.id, 'error');
          } else if (isJobCanceledError(err)) {
            settledAt(err.job);
            seen.set(job.id, 'canceled');
          } else {
            seen.set(job.id, String(err));
          }
        }
      }),
    );
    const wallMs = performance.now() - started;
    // The right outcome is the server's own final word on each job (a cancel may lose its race).
    const wrong: string[] = [];
    for (const { job, fate } of jobs) {
      const record = await srv.context.store.getJob(job.id);
      const truth = record ? materialize(record, Date.now()).status : 'missing';
      const got = seen.get(job.id);
      if (got !== truth) wrong.push(`${job.id}: wait said ${String(got)}, server says ${truth}`);
      else if (truth !== fate && fate !== 'canceled')
        wrong.push(`${job.id}: ${truth}, drawn ${fate}`);
    }
    lateness.sort((a, b) => a - b);
    return {
      name: scenario.name,
      clients: waiters.length,
      strategy: options.strategy ?? 'auto',
      faults: scenario.faults ?? 'none',
      waits: options.waits,
      correct: options.waits - wrong.length,
      wrong,
      latenessMs: {
        p50: percentile(lateness, 50),
        p90: percentile(lateness, 90),
        p99: p99(lateness),
        max: lateness[lateness.length - 1] ?? Number.NaN,
      },
      requests,
      requestsPerWait: requests / options.waits,
      byOutcome,
      wallMs,
    };
  } finally {
    await srv.close();
  }
}

export interface OutageOptions {
  waits: number;
  /** Clients the waits are spread over. @default 1 */
  clients?: number;
  /** How long the server is unreachable; every job finishes inside it. */
  outageMs: number;
  /** Retry settings for the waiting clients. */
  retry?: ClientOptions['retry'];
}

export interface OutageResult {
  waits: number;
  clients: number;
  outageMs: number;
  correct: number;
  wrong: string[];
  /** Requests (attempts, refused ones included) while the server was unreachable. */
  requestsDuringOutage: number;
  requestsPerSecondDuringOutage: number;
  /** How long after the server came back each wait settled, ms. */
  noticeAfterRecoveryMs: { p50: number; max: number };
  requests: number;
}

/**
 * A full outage: the waits' clients reach the server through a proxy that refuses connections for
 * `outageMs` while every job finishes; then it comes back on the same port.
 */
export async function runOutage(options: OutageOptions): Promise<OutageResult> {
  const srv = await startServer({
    port: 0,
    host: '127.0.0.1',
    store: 'memory',
    logLevel: 'silent',
  });
  const proxy = new OutageProxy(srv.port);
  await proxy.up();
  const requestTimes: number[] = [];
  try {
    const creator = new VtransClient({ baseUrl: srv.url });
    const waiters = waiterClients(
      proxy.url,
      (input, init) => {
        requestTimes.push(Date.now());
        return fetch(input, init);
      },
      options,
    );
    const leadMs = 300;
    const jobs = await Promise.all(
      Array.from({ length: options.waits }, (_, i) =>
        creator.createJob({
          simulate: {
            // Every job finishes while the server is unreachable.
            duration_ms: leadMs + 200 + Math.round(((options.outageMs - 400) * i) / options.waits),
            outcome: fateOf(i) === 'error' ? 'error' : 'completed',
          },
        }),
      ),
    );
    const settled = new Map<string, { status: string; at: number }>();
    const waits = jobs.map((job, i) =>
      waiters[i % waiters.length]!.waitForJob(job.id, {
        timeoutMs: options.outageMs + 30_000,
      }).then(
        (done) => settled.set(job.id, { status: done.status, at: Date.now() }),
        (err: unknown) =>
          settled.set(job.id, {
            status: isJobFailedError(err) || isJobCanceledError(err) ? err.job.status : String(err),
            at: Date.now(),
          }),
      ),
    );
    await new Promise((r) => setTimeout(r, leadMs));
    const downAt = Date.now();
    await proxy.down();
    await new Promise((r) => setTimeout(r, options.outageMs));
    const upAt = Date.now();
    await proxy.up();
    await Promise.all(waits);
    const wrong: string[] = [];
    for (const job of jobs) {
      const record = await srv.context.store.getJob(job.id);
      const truth = record ? materialize(record, Date.now()).status : 'missing';
      const got = settled.get(job.id)?.status;
      if (got !== truth) wrong.push(`${job.id}: wait said ${String(got)}, server says ${truth}`);
    }
    const notice = [...settled.values()].map((s) => Math.max(0, s.at - upAt)).sort((a, b) => a - b);
    const during = requestTimes.filter((t) => t >= downAt && t < upAt).length;
    return {
      waits: options.waits,
      clients: waiters.length,
      outageMs: options.outageMs,
      correct: options.waits - wrong.length,
      wrong,
      requestsDuringOutage: during,
      requestsPerSecondDuringOutage: during / (options.outageMs / 1000),
      noticeAfterRecoveryMs: {
        p50: percentile(notice, 50),
        max: notice[notice.length - 1] ?? Number.NaN,
      },
      requests: requestTimes.length,
    };
  } finally {
    await proxy.down();
    await srv.close();
  }
}
