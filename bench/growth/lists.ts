/**
 * List queries against a populated server: every `status` filter (and none), each from the first
 * page and from cursors half-way and 99 % of the way down the tenant's jobs. Each query is asked
 * one at a time until it has its samples or its time budget runs out; the server's stall gauge is
 * read around each query's samples. And, right after a start, lists asked while the scheduler
 * still reads the unfinished jobs in the background.
 */
import { cursorAt, type DatasetPlan } from './dataset.js';
import type { NoiseProbe } from './noise.js';
import { loopStallMs, metric, summarize, timedGet, type Summary } from './probes.js';

export const STATUS_FILTERS = ['any', 'pending', 'completed', 'error', 'canceled'] as const;
export const DEPTHS = [
  ['first', 0],
  ['50%', 0.5],
  ['99%', 0.99],
] as const;

/** `<status> <depth>` → latency summary and the longest stall while it ran. */
export type ListReport = Record<string, Summary & { stallMs: number; noiseMs: number }>;

export async function measureLists(
  url: string,
  plan: DatasetPlan,
  options: { listSamples: number; listBudgetMs: number },
  noise: NoiseProbe,
): Promise<ListReport> {
  const report: ListReport = {};
  for (const status of STATUS_FILTERS) {
    for (const [depthName, depth] of DEPTHS) {
      const query = new URLSearchParams({ limit: '20' });
      if (status !== 'any') query.set('status', status);
      if (depth > 0) {
        // Newest first: the job `depth` of the way down is the one created `depth` from the end.
        const i = Math.max(0, Math.floor((plan.jobs - 1) * (1 - depth)));
        query.set('cursor', cursorAt(plan, i));
      }
      const target = `${url}/v1/jobs?${query}`;
      await timedGet(target); // warm-up: not counted
      await loopStallMs(url);
      await noise.maxGapMs();
      const latencies: number[] = [];
      const deadline = performance.now() + options.listBudgetMs;
      while (latencies.length < options.listSamples && performance.now() < deadline) {
        const { status: code, ms } = await timedGet(target);
        if (code !== 200) throw new Error(`GET ${target}: ${code}`);
        latencies.push(ms);
      }
      report[`${status} ${depthName}`] = {
        ...summarize(latencies),
        stallMs: await loopStallMs(url),
        noiseMs: await noise.maxGapMs(),
      };
    }
  }
  return report;
}

/** Lists asked while the scheduler reads the store's unfinished jobs after a start. */
export type LoadingListReport = Summary & {
  stallMs: number;
  noiseMs: number;
  /** From the first list until the server said it had read them all (NaN: not within the cap). */
  loadedAfterMs: number;
};

/**
 * Right after a start, until `vtrans_scheduler_loaded` says the scheduler has read every
 * unfinished job (or `capMs` passed): the first page with no filter and with `status=pending`,
 * asked one at a time in turn, and the server's longest stall meanwhile.
 */
export async function measureListsWhileLoading(
  url: string,
  noise: NoiseProbe,
  capMs = 300_000,
): Promise<LoadingListReport> {
  const targets = [`${url}/v1/jobs?limit=20`, `${url}/v1/jobs?limit=20&status=pending`];
  await loopStallMs(url);
  await noise.maxGapMs();
  const started = performance.now();
  const latencies: number[] = [];
  let stallMs = 0;
  let loadedAfterMs = NaN;
  let nextCheck = 0;
  while (performance.now() - started < capMs) {
    if (performance.now() >= nextCheck) {
      // Scraping resets the stall gauge: keep the longest seen.
      stallMs = Math.max(stallMs, await loopStallMs(url));
      if ((await metric(url, 'vtrans_scheduler_loaded')) === 1) {
        loadedAfterMs = performance.now() - started;
        break;
      }
      nextCheck = performance.now() + 250;
    }
    const target = targets[latencies.length % targets.length]!;
    const { status, ms } = await timedGet(target);
    if (status !== 200) throw new Error(`GET ${target}: ${status}`);
    latencies.push(ms);
  }
  return { ...summarize(latencies), stallMs, noiseMs: await noise.maxGapMs(), loadedAfterMs };
}
