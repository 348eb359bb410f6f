/**
 * The ways of waiting the benchmark compares: this client's strategies and three baselines,
 * each behind the same signature so they run side by side on the same kind of jobs.
 */
import { createWaiter, WaiterState } from '@smithy/util-waiter';
import { VtransClient, type Job, type WaitStrategy } from '@vtrans/client';
import { sleep } from '@vtrans/test-support';

/** Counts the requests one approach sends. */
export interface Counter {
  requests: number;
}

/** Waits for one job; resolves with the terminal job, or `undefined` if the approach gave up. */
export type WaitFn = (jobId: string) => Promise<Job | undefined>;

/** One way of waiting: `prepare` builds its (possibly shared) state for a run. */
export interface Approach {
  readonly name: string;
  prepare(baseUrl: string, counter: Counter): WaitFn;
}

const MS_PER_S = 1000;
const TERMINAL = new Set(['completed', 'error', 'canceled']);

function countingFetch(counter: Counter): typeof fetch {
  return (input, init) => {
    counter.requests += 1;
    return fetch(input, init);
  };
}

async function getJob(baseUrl: string, id: string, counter: Counter): Promise<Job> {
  counter.requests += 1;
  const response = await fetch(`${baseUrl}/v1/jobs/${id}`);
  if (!response.ok) throw new Error(`GET ${id}: ${response.status}`);
  return (await response.json()) as Job;
}

function clientStrategy(name: string, strategy: WaitStrategy, isShared: boolean): Approach {
  return {
    name,
    prepare: (baseUrl, counter) => {
      const shared = new VtransClient({ baseUrl, fetch: countingFetch(counter) });
      return (id) => {
        const client = isShared
          ? shared
          : new VtransClient({ baseUrl, fetch: countingFetch(counter) });
        return client.waitForJob(id, { strategy, timeoutMs: 10 * 60 * MS_PER_S });
      };
    },
  };
}

/** The trivial approach: a GET every second. */
const fixedPolling: Approach = {
  name: 'fixed 1 s polling',
  prepare: (baseUrl, counter) => async (id) => {
    for (;;) {
      const job = await getJob(baseUrl, id, counter);
      if (TERMINAL.has(job.status)) return job;
      await sleep(MS_PER_S);
    }
  },
};

/** The original project's client: 1 s, doubling, five retries (gives up after 31 s). */
const originalDoubling: Approach = {
  name: 'original 1 s doubling',
  prepare: (baseUrl, counter) => async (id) => {
    const maxRetries = 5;
    let delayMs = MS_PER_S;
    for (let attempt = 0; ; attempt += 1) {
      const job = await getJob(baseUrl, id, counter);
      if (TERMINAL.has(job.status)) return job;
      if (attempt >= maxRetries) return undefined;
      await sleep(delayMs);
      delayMs *= 2;
    }
  },
};

/** AWS SDK v3's waiter engine with default-like bounds (2–120 s). */
const awsWaiter: Approach = {
  name: 'AWS SDK waiter 2–120 s',
  prepare: (baseUrl, counter) => async (id) => {
    let last: Job | undefined;
    const result = await createWaiter(
      { client: {}, maxWaitTime: 600, minDelay: 2, maxDelay: 120 },
      { id },
      async () => {
        last = await getJob(baseUrl, id, counter);
        return { state: TERMINAL.has(last.status) ? WaiterState.SUCCESS : WaiterState.RETRY };
      },
    );
    return result.state === WaiterState.SUCCESS ? last : undefined;
  },
};

/** Every approach, in table order. */
export const APPROACHES: readonly Approach[] = [
  clientStrategy('vtrans auto (client per job)', 'auto', false),
  clientStrategy('vtrans auto (one shared client)', 'auto', true),
  clientStrategy('vtrans sse', 'sse', false),
  clientStrategy('vtrans poll from hints', 'poll', false),
  fixedPolling,
  originalDoubling,
  awsWaiter,
];
