/**
 * One capacity run: N held long polls on one vtrans instance (server RSS, wake latency after
 * `completed_at`, errors), throughput of `GET /v1/jobs/{id}` and `GET /status` next to a bare
 * Fastify route, and — when redis-server is installed — the wake latency across two instances.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpuMs, rssBytes, startBare, startVtrans, type Proc } from './processes.js';
import { measureThroughput, type Throughput } from './throughput.js';
import type { ClientMessage, ClientPlan, WaiterResult } from './waiters-client.js';
import { ascending, hasService, p99, percentile, sleep, startRedis } from '@vtrans/test-support';

export interface CapacityOptions {
  /** Held long polls. */
  waiters: number;
  /** Distinct jobs the waiters wait on. */
  jobs: number;
  /** Time allowed to open every long poll before the first job finishes. */
  connectBudgetMs: number;
  /** Jobs finish evenly over this window. */
  finishSpreadMs: number;
  /** Each autocannon run. */
  throughputS: number;
  /**
   * Rounds of throughput runs. Each round measures the three routes one after another; the report
   * takes each route's median, so a slow spell of a shared machine lands on all three alike.
   */
  throughputRounds: number;
  /** A warm-up run per route before measuring (JIT). */
  warmupS: number;
  throughputConnections: number;
  /** Long polls held on instance A, woken by cancels through instance B (0 to skip). */
  crossInstanceWaiters: number;
  /** `VT_STORE` of the single-instance part (default: SQLite, the default store). */
  store?: string;
  /** Extra Node arguments for the single-instance server (e.g. `--cpu-prof`). */
  serverNodeArgs?: string[];
  /** Run only these parts. @default all */
  only?: ('waiters' | 'throughput' | 'cross-instance')[];
}

export const FULL: CapacityOptions = {
  waiters: 10_000,
  jobs: 1_000,
  connectBudgetMs: 45_000,
  finishSpreadMs: 3_000,
  throughputS: 3,
  throughputRounds: 7,
  warmupS: 2,
  throughputConnections: 50,
  crossInstanceWaiters: 200,
};

export const QUICK: CapacityOptions = {
  waiters: 1_000,
  jobs: 50,
  connectBudgetMs: 6_000,
  finishSpreadMs: 500,
  throughputS: 1,
  throughputRounds: 2,
  warmupS: 0,
  throughputConnections: 20,
  crossInstanceWaiters: 20,
};

export interface LatencySummary {
  count: number;
  p50Ms: number;
  /** NaN (printed `–`) under 100 samples, where the 99th percentile is just the maximum. */
  p99Ms: number;
  maxMs: number;
}

/** Fewer samples than this have no p99 of their own: it would be their maximum. */

export interface CapacityReport {
  waiters?:
    | {
        requested: number;
        /** Most requests the server held at once before the first job finished (its gauge). */
        heldAtFirstFinish: number;
        /** Answered with the terminal job after being held. */
        woken: number;
        /** Sent only after their job had finished (not a held wake; not counted in latency). */
        lateArrivals: number;
        errors: number;
        errorSamples: string[];
        wake: LatencySummary;
        rssBaselineMb: number;
        /** With every waiter held (the gauge reached the count), else the last sample before the first finish. */
        rssHeldMb: number;
        rssPeakMb: number;
        store: string;
        /** Server CPU time per held request, µs: opening, holding, waking and answering it. */
        cpuPerWaiterUs: number;
        /**
         * The server's longest event-loop stall from just before the first finish to the last
         * answer (its `vtrans_event_loop_delay_max_seconds`), ms: a stall delays every wake.
         */
        loopStallMs: number;
      }
    | undefined;
  throughput?:
    | {
        job: ServerThroughput;
        status: ServerThroughput;
        bare: ServerThroughput;
        /** Median over the rounds of each round's ratio to the bare route (paired: same spell). */
        jobRatio: number;
        statusRatio: number;
        /** Each round's ratio, in order. */
        jobRatios: number[];
        statusRatios: number[];
      }
    | undefined;
  crossInstance: (LatencySummary & { errors: number }) | { skipped: string };
}

/** A throughput run and what it cost the server. */
export interface ServerThroughput extends Throughput {
  /**
   * Server CPU time (user + system, from `/proc`) per request answered, µs. It depends less on
   * other work on the machine than requests per second do.
   */
  serverCpuUs: number;
}

const MB = 1024 * 1024;
const LOOPBACK_SOURCES = Array.from({ length: 19 }, (_, i) => `127.0.0.${i + 2}`);
const OPEN_CONCURRENCY = 500;
const RSS_SAMPLE_MS = 100;
const CREATE_CONCURRENCY = 20;
const HOLD_S = 50;
const HELD_SAMPLE_MS = 250;
/** Time allowed per job created (SQLite syncs every commit). */
const CREATE_BUDGET_PER_JOB_MS = 25;
/** One unlabelled sample of the server's `/metrics`; `undefined` when unreadable or absent. */
async function gauge(url: string, name: string): Promise<number | undefined> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.slice(name.length + 1));
  } catch {
    return undefined;
  }
}

/** The server's held-requests gauge; 0 when unreadable. */
async function heldRequests(url: string): Promise<number> {
  return (await gauge(url, 'vtrans_held_requests')) ?? 0;
}

/** The server's longest event-loop stall since its previous scrape, ms (NaN if unreadable). */
async function loopStallMs(url: string): Promise<number> {
  return ((await gauge(url, 'vtrans_event_loop_delay_max_seconds')) ?? NaN) * 1000;
}

export function summarize(values: readonly number[]): LatencySummary {
  const sorted = ascending(values);
  return {
    count: sorted.length,
    p50Ms: sorted.length === 0 ? 0 : percentile(sorted, 50),
    p99Ms: p99(sorted),
    maxMs: sorted.at(-1) ?? 0,
  };
}

/** Creates `count` jobs; `durationMs(i)` is asked right before job `i` is sent. */
async function createJobs(
  url: string,
  count: number,
  durationMs: (i: number) => number,
): Promise<string[]> {
  const ids: string[] = new Array<string>(count);
  for (let i = 0; i < count; i += CREATE_CONCURRENCY) {
    const batch = Array.from({ length: Math.min(CREATE_CONCURRENCY, count - i) }, (_, j) => i + j);
    await Promise.all(
      batch.map(async (k, j) => {
        const duration_ms = Math.max(0, Math.round(durationMs(k)));
        const res = await fetch(`${url}/v1/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ simulate: { duration_ms, outcome: 'completed' } }),
        });
        if (res.status !== 201) throw new Error(`creating a job answered ${res.status}`);
        ids[i + j] = ((await res.json()) as { id: string }).id;
      }),
    );
  }
  return ids;
}

function runClient(plan: ClientPlan, onOpened: () => void): Promise<WaiterResult[]> {
  const script = fileURLToPath(new URL('./waiters-client.ts', import.meta.url));
  const child = fork(script, [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    let done = false;
    child.on('message', (msg: ClientMessage) => {
      // The plan goes out once the child listens: a message sent earlier could be lost.
      if (msg.kind === 'ready') child.send(plan);
      else if (msg.kind === 'opened') onOpened();
      else {
        done = true;
        resolve(msg.results);
      }
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (!done)
        reject(new Error(`the waiters client exited (${code ?? signal}) before reporting`));
    });
  });
}

async function measureWaiters(
  o: CapacityOptions,
  server: Proc,
): Promise<NonNullable<CapacityReport['waiters']>> {
  // Jobs finish at fixed instants, however long creating them takes: the first after the
  // creation and connect budgets, the others spread over the window after it.
  const firstFinish = Date.now() + o.jobs * CREATE_BUDGET_PER_JOB_MS + o.connectBudgetMs;
  const ids = await createJobs(
    server.url,
    o.jobs,
    (i) => firstFinish + Math.floor((i * o.finishSpreadMs) / o.jobs) - Date.now(),
  );
  if (Date.now() > firstFinish - o.connectBudgetMs / 2) {
    throw new Error(
      `creating ${o.jobs} jobs took too long to leave time for connecting: this machine is too busy`,
    );
  }
  let heldAtFinish = 0;
  let rssAllHeld: number | undefined;
  const heldSampler = setInterval(() => {
    if (Date.now() >= firstFinish) return;
    void heldRequests(server.url).then((n) => {
      if (Date.now() >= firstFinish) return;
      heldAtFinish = Math.max(heldAtFinish, n);
      // The memory of every waiter held at once, taken the moment the gauge says so.
      if (n >= o.waiters && rssAllHeld === undefined) rssAllHeld = rssBytes(server.pid);
    });
  }, HELD_SAMPLE_MS);
  const rssBaseline = rssBytes(server.pid);
  const cpuBefore = cpuMs(server.pid);
  let rssPeak = rssBaseline;
  let rssHeld = 0;
  const sampler = setInterval(() => {
    const rss = rssBytes(server.pid);
    rssPeak = Math.max(rssPeak, rss);
    if (Date.now() < firstFinish) rssHeld = rss;
  }, RSS_SAMPLE_MS);
  let results: WaiterResult[];
  try {
    results = await runClient(
      {
        url: server.url,
        jobIds: Array.from({ length: o.waiters }, (_, i) => ids[i % ids.length] ?? ''),
        waitS: HOLD_S,
        localAddresses: LOOPBACK_SOURCES,
        openConcurrency: OPEN_CONCURRENCY,
      },
      () => undefined,
    );
  } finally {
    clearInterval(sampler);
    clearInterval(heldSampler);
  }
  const cpuPerWaiterUs = ((cpuMs(server.pid) - cpuBefore) * 1000) / o.waiters;
  // The held sampler's last scrape, shortly before the first finish, reset the monitor.
  const stallMs = await loopStallMs(server.url);
  const woken = results.filter((r) => r.lateMs !== null && r.sentBeforeFinish);
  const failed = results.filter((r) => r.error !== null);
  return {
    requested: o.waiters,
    heldAtFirstFinish: heldAtFinish,
    woken: woken.length,
    lateArrivals: results.filter((r) => r.lateMs !== null && !r.sentBeforeFinish).length,
    errors: failed.length,
    errorSamples: [...new Set(failed.map((r) => r.error ?? ''))].slice(0, 5),
    wake: summarize(woken.map((r) => r.lateMs ?? 0)),
    rssBaselineMb: rssBaseline / MB,
    rssHeldMb: (rssAllHeld ?? rssHeld) / MB,
    rssPeakMb: rssPeak / MB,
    store: o.store ?? 'sqlite (default)',
    cpuPerWaiterUs,
    loopStallMs: stallMs,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

/** The run with the median requests per second; failures summed over every run. */
function medianRun(runs: ServerThroughput[]): ServerThroughput {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  const median = sorted[Math.floor(sorted.length / 2)] ?? sorted[0];
  if (!median) throw new Error('no throughput runs');
  const cpu = [...runs].map((r) => r.serverCpuUs).sort((a, b) => a - b);
  return {
    ...median,
    serverCpuUs: cpu[Math.floor(cpu.length / 2)] ?? median.serverCpuUs,
    failures: runs.reduce((sum, r) => sum + r.failures, 0),
    total: runs.reduce((sum, r) => sum + r.total, 0),
  };
}

async function measureAllThroughput(
  o: CapacityOptions,
  server: Proc,
): Promise<NonNullable<CapacityReport['throughput']>> {
  const bare = await startBare();
  try {
    const [id] = await createJobs(server.url, 1, () => 3_600_000);
    const run = async (url: string, pid: number): Promise<ServerThroughput> => {
      const cpuBefore = cpuMs(pid);
      const result = await measureThroughput(url, o.throughputS, o.throughputConnections);
      const serverCpuUs = ((cpuMs(pid) - cpuBefore) * 1000) / Math.max(1, result.total);
      return { ...result, serverCpuUs };
    };
    // Warm each up briefly (JIT), then measure one after another so they never compete.
    if (o.warmupS > 0) {
      for (const url of [`${server.url}/v1/jobs/${id}`, `${server.url}/status`, `${bare.url}/bare`])
        await measureThroughput(url, o.warmupS, o.throughputConnections);
    }
    const targets = {
      job: { url: `${server.url}/v1/jobs/${id}`, pid: server.pid },
      status: { url: `${server.url}/status`, pid: server.pid },
      bare: { url: `${bare.url}/bare`, pid: bare.pid },
    };
    const runs = {
      job: [] as ServerThroughput[],
      status: [] as ServerThroughput[],
      bare: [] as ServerThroughput[],
    };
    for (let round = 0; round < o.throughputRounds; round++) {
      for (const name of ['job', 'status', 'bare'] as const) {
        runs[name].push(await run(targets[name].url, targets[name].pid));
      }
    }
    // Each round's routes ran back to back, so a round's ratio compares them under the same load.
    const jobRatios = runs.job.map((r, i) => r.rps / (runs.bare[i]?.rps ?? NaN));
    const statusRatios = runs.status.map((r, i) => r.rps / (runs.bare[i]?.rps ?? NaN));
    const job = medianRun(runs.job);
    const status = medianRun(runs.status);
    const bareResult = medianRun(runs.bare);
    return {
      job,
      status,
      bare: bareResult,
      jobRatio: median(jobRatios),
      statusRatio: median(statusRatios),
      jobRatios,
      statusRatios,
    };
  } finally {
    await bare.stop();
  }
}

async function measureCrossInstance(o: CapacityOptions): Promise<CapacityReport['crossInstance']> {
  if (o.crossInstanceWaiters === 0) return { skipped: 'disabled' };
  if (!hasService('redis')) return { skipped: 'redis-server is not installed' };
  const procs: Proc[] = [];
  try {
    const redis = await startRedis();
    procs.push({
      pid: redis.pid,
      url: redis.url,
      port: redis.port,
      stderr: () => '',
      stop: () => redis.stop(),
    });
    const env = { VT_STORE: redis.url, TRANSLATION_DELAY: String(3_600_000) };
    const a = await startVtrans(env);
    procs.push(a);
    const b = await startVtrans(env);
    procs.push(b);
    const ids = await createJobs(b.url, o.crossInstanceWaiters, () => 3_600_000);
    let errors = 0;
    const held = ids.map(async (id) => {
      const res = await fetch(`${a.url}/v1/jobs/${id}?wait=${HOLD_S}`);
      const arrived = Date.now();
      const job = (await res.json()) as { status: string; completed_at: string | null };
      if (job.status !== 'canceled' || !job.completed_at) {
        errors++;
        return undefined;
      }
      return arrived - Date.parse(job.completed_at);
    });
    await sleep(1000);
    for (const id of ids) {
      const res = await fetch(`${b.url}/v1/jobs/${id}/cancel`, { method: 'POST' });
      if (res.status !== 200) errors++;
      await res.arrayBuffer();
    }
    const lates = (await Promise.all(held)).filter((x): x is number => x !== undefined);
    return { ...summarize(lates), errors };
  } finally {
    for (const p of procs.reverse()) await p.stop();
  }
}

export async function runCapacity(
  options: CapacityOptions,
  log: (line: string) => void = () => undefined,
): Promise<CapacityReport> {
  const runs = (part: 'waiters' | 'throughput' | 'cross-instance') =>
    !options.only || options.only.includes(part);
  // One server process for both single-instance parts (its idle RSS is measured first).
  const server = await startVtrans(
    {
      VT_MAX_WAITERS: String(options.waiters * 2),
      VT_MAX_WAITERS_PER_KEY: String(options.waiters * 2),
      ...(options.store ? { VT_STORE: options.store } : {}),
    },
    options.serverNodeArgs,
  );
  let waiters: CapacityReport['waiters'];
  let throughput: CapacityReport['throughput'];
  try {
    if (runs('waiters')) {
      log(`holding ${options.waiters} long polls on ${options.jobs} jobs…`);
      waiters = await measureWaiters(options, server);
    }
    if (runs('throughput')) {
      log('measuring throughput…');
      throughput = await measureAllThroughput(options, server);
    }
  } finally {
    await server.stop();
  }
  let crossInstance: CapacityReport['crossInstance'] = { skipped: 'not asked for' };
  if (runs('cross-instance')) {
    log('measuring cross-instance wake latency…');
    crossInstance = await measureCrossInstance(options);
  }
  return { waiters, throughput, crossInstance };
}
