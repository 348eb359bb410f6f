/**
 * List queries against a populated server: every `status` filter (and none), each from the first
 * page and from cursors half-way and 99 % of the way down the tenant's jobs. Each query is asked
 * one at a time until it has its samples or its time budget runs out; the server's stall gauge is
 * read around each query's samples.
 */
import { cursorAt, type DatasetPlan } from './dataset.js';
import type { NoiseProbe } from './noise.js';
import { loopStallMs, summarize, timedGet, type Summary } from './probes.js';

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
