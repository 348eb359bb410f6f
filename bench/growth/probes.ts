/**
 * What a growth run measures a server with, from outside it: timed requests, a liveness prober,
 * the server's own stall gauge, and long polls held on jobs that finish while something runs.
 */
import { performance } from 'node:perf_hooks';

export interface Summary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    count: sorted.length,
    p50Ms: round(at(0.5)),
    p99Ms: round(at(0.99)),
    maxMs: round(sorted.at(-1) ?? 0),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GETs `url`; its status and how long the whole answer took, ms. */
export async function timedGet(
  url: string,
  timeoutMs = 60_000,
): Promise<{ status: number; ms: number; body: string }> {
  const started = performance.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = await res.text();
    return { status: res.status, ms: performance.now() - started, body };
  } catch {
    return { status: 0, ms: performance.now() - started, body: '' };
  }
}

/** One unlabelled (or exactly labelled) sample of the server's `/metrics`; NaN when absent. */
export async function metric(url: string, series: string): Promise<number> {
  const { body } = await timedGet(`${url}/metrics`);
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? NaN : Number(line.slice(series.length + 1));
}

/** The server's longest event-loop stall since its previous scrape, ms (NaN if unreadable). */
export async function loopStallMs(url: string): Promise<number> {
  return (await metric(url, 'vtrans_event_loop_delay_max_seconds')) * 1000;
}

/** Terminal events this server has written (completed + failed + canceled). */
export async function terminalEventsWritten(url: string): Promise<number> {
  let total = 0;
  for (const event of ['completed', 'failed', 'canceled'])
    total += (await metric(url, `vtrans_jobs_total{event="${event}"}`)) || 0;
  return total;
}

/** Asks `/healthz` every `intervalMs` (one at a time) until stopped; the latencies of the answers. */
export function proveLiveness(url: string, intervalMs = 50) {
  const latencies: number[] = [];
  let failures = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const { status, ms } = await timedGet(`${url}/healthz`, 120_000);
      if (status === 200) latencies.push(ms);
      else failures++;
      await sleep(intervalMs);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { ...summarize(latencies), failures };
    },
  };
}

export interface Wakes extends Summary {
  errors: number;
}

/**
 * Creates `count` jobs finishing evenly from `firstInMs` to `firstInMs + spreadMs` from now, and
 * holds one long poll on each (`wait=50`, `If-None-Match: W/"1"`). Resolves, once every poll is
 * answered, to the wake latencies: when the answer arrived minus the job's `completed_at`.
 */
export async function holdWakers(
  url: string,
  count: number,
  firstInMs: number,
  spreadMs: number,
): Promise<{ firstFinishAt: number; answered: Promise<Wakes> }> {
  const base = Date.now() + firstInMs;
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const finishAt = base + Math.round((i * spreadMs) / Math.max(1, count - 1));
    const res = await fetch(`${url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ simulate: { duration_ms: Math.max(0, finishAt - Date.now()) } }),
    });
    if (res.status !== 201) throw new Error(`creating a waker job: ${res.status}`);
    ids.push(((await res.json()) as { id: string }).id);
  }
  let errors = 0;
  const wakes = ids.map(async (id) => {
    try {
      const res = await fetch(`${url}/v1/jobs/${id}?wait=50`, {
        headers: { 'if-none-match': 'W/"1"' },
      });
      const arrived = Date.now();
      const job = (await res.json()) as { completed_at: string | null };
      if (res.status !== 200 || !job.completed_at) throw new Error(`status ${res.status}`);
      return arrived - Date.parse(job.completed_at);
    } catch {
      errors++;
      return undefined;
    }
  });
  return {
    firstFinishAt: base,
    answered: Promise.all(wakes).then((all) => ({
      ...summarize(all.filter((ms): ms is number => ms !== undefined)),
      errors,
    })),
  };
}
