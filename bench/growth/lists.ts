/**
 * List queries against a populated server: every `status` filter (and none), each from the first
 * page and from cursors half-way and 99 % of the way down the tenant's jobs. Each query is asked
 * one at a time until it has its samples or its time budget runs out; the server's stall gauge is
 * read around each query's samples. And, right after a start, lists asked while the scheduler
 * still reads the unfinished jobs in the background. The queries are timed by a list client in a
 * process of its own.
 */
import { cursorAt, type DatasetPlan } from './dataset.js';
import type { ListClient, ListRun } from './list-client.js';
import type { NoiseProbe } from './noise.js';
import { loopStallMs, metric, summarize, type Summary } from './probes.js';

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
  client: ListClient,
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
      const targets = [`${url}/v1/jobs?${query}`];
      // The warm-up answer is not counted, nor the server's stall while it is made.
      await client.run({ targets, samples: 1, budgetMs: 60_000 }).then(okOrThrow);
      await loopStallMs(url);
      await noise.maxGapMs();
      const { latencies } = okOrThrow(
        await client.run({
          targets,
          samples: options.listSamples,
          budgetMs: options.listBudgetMs,
        }),
      );
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
  client: ListClient,
  capMs = 300_000,
): Promise<LoadingListReport> {
  const targets = [`${url}/v1/jobs?limit=20`, `${url}/v1/jobs?limit=20&status=pending`];
  await loopStallMs(url);
  await noise.maxGapMs();
  const started = performance.now();
  const run = client.run({ targets, samples: Number.MAX_SAFE_INTEGER, budgetMs: capMs });
  let stallMs = 0;
  let loadedAfterMs = NaN;
  let running = true;
  const ended = () => (running = false);
  run.then(ended, ended);
  while (running) {
    // Scraping resets the stall gauge: keep the longest seen.
    stallMs = Math.max(stallMs, await loopStallMs(url));
    if ((await metric(url, 'vtrans_scheduler_loaded')) === 1) {
      loadedAfterMs = performance.now() - started;
      client.stop();
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const { latencies } = okOrThrow(await run);
  stallMs = Math.max(stallMs, await loopStallMs(url));
  return { ...summarize(latencies), stallMs, noiseMs: await noise.maxGapMs(), loadedAfterMs };
}

function okOrThrow(run: ListRun): ListRun {
  if (run.failures.length > 0) throw new Error(`GET ${run.failures[0]}`);
  return run;
}
