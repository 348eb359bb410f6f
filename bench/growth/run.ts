/**
 * One growth run for one store and one size: populate each dataset (pending, finished,
 * finished-while-down), start a real server on it, and measure — restart to ready, liveness while
 * catching up, event-loop stalls, list queries, heap per pending job, storage per finished job, and
 * a retention sweep with long polls held through it.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startRedis, tempDir } from '@vtrans/test-support';
import { planDataset, type DatasetKind, type DatasetPlan } from './dataset.js';
import {
  measureLists,
  measureListsWhileLoading,
  type ListReport,
  type LoadingListReport,
} from './lists.js';
import { populateRedis, redisUsedMemory } from './populate-redis.js';
import { populateSqlite, sqliteBytes } from './populate-sqlite.js';
import { loopStallMs, proveLiveness, sleep, terminalEventsWritten, timedGet } from './probes.js';
import { measureStart, startHost, type Host, type StartReport } from './servers.js';
import { startListClient } from './list-client.js';
import { startNoiseProbe, type NoiseProbe } from './noise.js';
import { measureSweep, type SweepReport } from './sweep.js';

export const STORES = ['sqlite', 'memory', 'redis'] as const;
export type StoreName = (typeof STORES)[number];

export interface GrowthOptions {
  jobs: number;
  /** Samples per list query (fewer if `listBudgetMs` runs out first). */
  listSamples: number;
  listBudgetMs: number;
  /** Long polls held through the sweep, and the window their jobs finish in. */
  sweepWakers: number;
  sweepSpreadMs: number;
  readyTimeoutMs: number;
}

export const FULL: Omit<GrowthOptions, 'jobs'> = {
  listSamples: 200,
  listBudgetMs: 10_000,
  sweepWakers: 150,
  sweepSpreadMs: 3000,
  readyTimeoutMs: 20 * 60_000,
};

export const QUICK: GrowthOptions = {
  jobs: 1000,
  listSamples: 10,
  listBudgetMs: 1000,
  sweepWakers: 30,
  sweepSpreadMs: 500,
  readyTimeoutMs: 60_000,
};

/** A part that failed (or was skipped after a failure) is missing; `errors` says why. */
export interface StoreReport {
  store: StoreName;
  jobs: number;
  /** Heap of a server on an empty store, after full collections: what the per-job figures add to. */
  emptyHeapBytes?: number | undefined;
  pending: {
    populateMs: number;
    start?: StartReport;
    heapPerJobBytes?: number | undefined;
    /** Lists right after the start, while the scheduler reads the unfinished jobs. */
    listsWhileLoading?: LoadingListReport | undefined;
    /** Lists once it has read them all. */
    lists?: ListReport | undefined;
  };
  finished: {
    populateMs: number;
    storagePerJobBytes?: number | undefined;
    storage: string;
    lists?: ListReport | undefined;
    sweep?: SweepReport | undefined;
  };
  finishedWhileDown: { populateMs: number; start?: StartReport };
  errors: string[];
}

type Log = (line: string) => void;

/** Where a dataset lives: a store spec, filled before the server starts (memory: in the host). */
interface Placed {
  spec: string;
  populateMs: number;
  /** Bytes the data takes in the store (file + WAL, Redis memory); NaN for memory. */
  bytes: () => Promise<number>;
  hostEnv: Record<string, string>;
  cleanup: () => Promise<void>;
}

async function place(store: StoreName, plan: DatasetPlan | undefined): Promise<Placed> {
  if (store === 'memory') {
    const dataset = plan ? { GROWTH_DATASET: `${plan.kind}:${plan.jobs}:${plan.nowMs}` } : {};
    return {
      spec: 'memory',
      populateMs: NaN,
      bytes: async () => NaN,
      hostEnv: { GROWTH_STORE: 'memory', ...dataset },
      cleanup: async () => {},
    };
  }
  if (store === 'sqlite') {
    const dir = tempDir('vtrans-growth-');
    const path = join(dir, 'vtrans.db');
    const t0 = performance.now();
    if (plan) populateSqlite(path, plan);
    const spec = `sqlite:${path}`;
    return {
      spec,
      populateMs: performance.now() - t0,
      bytes: async () => {
        const b = sqliteBytes(path);
        return b.file + b.wal;
      },
      hostEnv: { GROWTH_STORE: spec },
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const redis = await startRedis({ appendfsync: 'everysec' });
  const empty = await redisUsedMemory(redis.url);
  const t0 = performance.now();
  if (plan) await populateRedis(redis.url, plan);
  return {
    spec: redis.url,
    populateMs: performance.now() - t0,
    bytes: async () => (await redisUsedMemory(redis.url)) - empty,
    hostEnv: { GROWTH_STORE: redis.url },
    cleanup: () => redis.stop(),
  };
}

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while ((await timedGet(`${url}/readyz`, 60_000)).status !== 200) {
    if (performance.now() > deadline) throw new Error(`${url} did not become ready`);
    await sleep(50);
  }
}

async function heapOf(host: Host, timeoutMs: number): Promise<number> {
  await waitReady(host.url, timeoutMs);
  return (await host.ask({ cmd: 'heap' }, 'heap')).bytes;
}

/** The memory store "restarts" in its host: filled, then the server starts on it. */
async function startInHost(
  placed: Placed,
  timeoutMs: number,
  noise: NoiseProbe,
): Promise<StartReport & { host: Host }> {
  const host = await startHost(placed.hostEnv);
  const afterReady = performance.now();
  await loopStallMs(host.url);
  await noise.maxGapMs();
  const prober = proveLiveness(host.url);
  let notReadyAnswers = 0;
  while ((await timedGet(`${host.url}/readyz`, 60_000)).status !== 200) {
    notReadyAnswers++;
    if (performance.now() - afterReady > timeoutMs) throw new Error('memory host not ready');
    await sleep(50);
  }
  const readyMs = host.startMs + performance.now() - afterReady;
  return {
    host,
    started: true,
    liveMs: host.startMs,
    readyMs,
    healthzWhileCatchingUp: await prober.stop(),
    notReadyAnswers,
    stallMs: await loopStallMs(host.url),
    noiseMs: await noise.maxGapMs(),
    terminalWrittenAtReady: await terminalEventsWritten(host.url),
  };
}

async function runStart(
  store: StoreName,
  placed: Placed,
  options: GrowthOptions,
  noise: NoiseProbe,
): Promise<{ start: StartReport; url: string; stop: () => Promise<void>; populateMs: number }> {
  if (store === 'memory') {
    const { host, ...start } = await startInHost(placed, options.readyTimeoutMs, noise);
    return { start, url: host.url, stop: () => host.stop(), populateMs: host.populateMs };
  }
  const { url, stop, ...start } = await measureStart(
    { VT_STORE: placed.spec },
    options.readyTimeoutMs,
    noise,
  );
  return { start, url, stop, populateMs: placed.populateMs };
}

export async function runStore(
  store: StoreName,
  options: GrowthOptions,
  log: Log,
): Promise<StoreReport> {
  const plan = (kind: DatasetKind) => planDataset(kind, options.jobs);
  const noise = startNoiseProbe();
  const lists = startListClient();
  const say = (what: string) => log(`${store} ${options.jobs}: ${what}`);
  const report: StoreReport = {
    store,
    jobs: options.jobs,
    pending: { populateMs: NaN },
    finished: {
      populateMs: NaN,
      storage:
        store === 'sqlite' ? 'file + WAL' : store === 'redis' ? 'Redis used_memory' : 'server heap',
    },
    finishedWhileDown: { populateMs: NaN },
    errors: [],
  };
  /** Runs one step; a failure (a start that fails, a host out of memory) is part of the report. */
  const attempt = async <T>(what: string, step: () => Promise<T>): Promise<T | undefined> => {
    say(what);
    try {
      return await step();
    } catch (err) {
      const message = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
      report.errors.push(`${what}: ${message}`);
      say(`${what} failed: ${message}`);
      return undefined;
    }
  };

  // Heap of a server on an empty store, to subtract.
  const emptyHeap = await attempt('empty: heap', async () => {
    const empty = await place(store, undefined);
    const host = await startHost(empty.hostEnv);
    try {
      return await heapOf(host, options.readyTimeoutMs);
    } finally {
      await host.stop();
      await empty.cleanup();
    }
  });
  report.emptyHeapBytes = emptyHeap;
  /**
   * A host of its own started on a store, its heap over the job count (less the empty server's):
   * the three full collections it forces stay out of the servers whose lists and sweeps are timed.
   */
  const heapPerJob = async (hostEnv: Record<string, string>) => {
    const host = await startHost(hostEnv);
    try {
      return ((await heapOf(host, options.readyTimeoutMs)) - (emptyHeap ?? NaN)) / options.jobs;
    } finally {
      await host.stop();
    }
  };

  const pendingPlan = plan('pending');
  const pending = await attempt('pending: populating', () => place(store, pendingPlan));
  if (pending) {
    const started = await attempt('pending: restarting', () =>
      runStart(store, pending, options, noise),
    );
    if (started) {
      report.pending.populateMs = started.populateMs;
      report.pending.start = started.start;
      if (started.start.started) {
        report.pending.listsWhileLoading = await attempt('pending: lists while loading', () =>
          measureListsWhileLoading(started.url, noise, lists),
        );
        report.pending.lists = await attempt('pending: lists', () =>
          measureLists(started.url, pendingPlan, options, noise, lists),
        );
      }
      await started.stop();
    }
    report.pending.heapPerJobBytes = await attempt('pending: heap', () =>
      heapPerJob(pending.hostEnv),
    );
    await pending.cleanup();
  }

  const finishedPlan = plan('finished');
  const finished = await attempt('finished: populating', () => place(store, finishedPlan));
  if (finished) {
    report.finished.populateMs = finished.populateMs;
    const host = await attempt('finished: starting', () => startHost(finished.hostEnv));
    if (host) {
      if (store === 'memory') report.finished.populateMs = host.populateMs;
      report.finished.lists = await attempt('finished: lists', async () => {
        await waitReady(host.url, options.readyTimeoutMs);
        return measureLists(host.url, finishedPlan, options, noise, lists);
      });
      if (store !== 'memory')
        report.finished.storagePerJobBytes = await attempt(
          'finished: storage',
          async () => (await finished.bytes()) / options.jobs,
        );
      report.finished.sweep = await attempt('finished: sweep', () =>
        measureSweep(host, finished.spec, finishedPlan.nowMs, options, noise),
      );
      await host.stop();
      // The memory store's storage is its heap, measured in a host of its own: right after its
      // forced collections, a 1M sweep stalled 148-172 ms (14-15 ms otherwise).
      if (store === 'memory')
        report.finished.storagePerJobBytes = await attempt('finished: storage', () =>
          heapPerJob(finished.hostEnv),
        );
    }
    await finished.cleanup();
  }

  const downPlan = plan('finished-while-down');
  const down = await attempt('finished-while-down: populating', () => place(store, downPlan));
  if (down) {
    const started = await attempt('finished-while-down: restarting', () =>
      runStart(store, down, options, noise),
    );
    if (started) {
      report.finishedWhileDown = { populateMs: started.populateMs, start: started.start };
      await started.stop();
    }
    await down.cleanup();
  }
  noise.stop();
  lists.close();
  return report;
}
