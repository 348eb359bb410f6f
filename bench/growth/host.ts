/**
 * A vtrans server in a process of its own that the growth run can ask things only the process
 * knows: its memory after a full collection, and how a retention sweep run now goes (the run cannot
 * wait for the sweep's timer). Started by `host-process.ts` as
 * `node --expose-gc --import tsx bench/growth/host.ts` with an IPC channel.
 *
 * Environment: `GROWTH_STORE` (a `VT_STORE` spec), `GROWTH_PORT`, and for the memory store
 * `GROWTH_DATASET` (`kind:jobs:nowMs`) — the memory store is filled here, through its own API,
 * before the server starts on it (as a restart would find it).
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { startServer } from '../../packages/server/src/server.js';
import { MemoryStore } from '../../packages/server/src/store/memory-store.js';
import type { Store } from '../../packages/server/src/store/types.js';
import { eventsInOrder, type DatasetKind, type DatasetPlan } from './dataset.js';

export type HostCommand = { cmd: 'heap' } | { cmd: 'sweep'; before: number } | { cmd: 'stop' };

export type HostMessage =
  | { type: 'ready'; url: string; populateMs: number; startMs: number }
  /**
   * `bytes`: the JS heap in use plus the memory of array buffers, which live outside the heap
   * (the scheduler's and the memory store's typed-array columns).
   */
  | { type: 'heap'; bytes: number; rss: number }
  | { type: 'sweep'; ms: number; deleted: number; loopMaxMs: number }
  | { type: 'error'; message: string };

const send = (message: HostMessage) => process.send?.(message);

/** Writes a dataset into a memory store through the store's own methods, in writing order. */
async function fillMemory(store: Store, plan: DatasetPlan): Promise<void> {
  for (const { job, step, event } of eventsInOrder(plan)) {
    if (step === 0) {
      await store.createJob(job.created, event, {
        key: job.idempotencyKey,
        fingerprint: job.fingerprint,
      });
    } else if (event.type === 'job.canceled') {
      await store.cancelJob(job.created.id, event.at, () => event);
    } else {
      await store.emitSteps([{ id: job.created.id, step, event }]);
    }
  }
}

/** Enabled from the start: a monitor enabled just before a block never sees it end. */
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

async function main(): Promise<void> {
  const spec = process.env.GROWTH_STORE ?? 'memory';
  const dataset = process.env.GROWTH_DATASET;
  let store: string | Store = spec;
  const populateStarted = performance.now();
  if (spec === 'memory') {
    const [kind, jobs, nowMs] = (dataset ?? '').split(':');
    // Room for the whole dataset (the default limit would evict finished jobs to make room).
    const memory = new MemoryStore({
      maxJobs: Math.max(100_000, Number(jobs ?? 0) + 10_000),
    });
    if (dataset) {
      await fillMemory(memory, {
        kind: kind as DatasetKind,
        jobs: Number(jobs),
        ratePerS: 100,
        nowMs: Number(nowMs),
        writtenUntilMs: kind === 'finished-while-down' ? Number(nowMs) - 5000 : Number(nowMs),
      });
    }
    store = memory;
    // The fill's own garbage (gigabytes at 1M jobs) is not the server's: a server started on a
    // SQLite or Redis store is a fresh process. Without this, the first full collection of it
    // fell within the catch-up being measured.
    for (let i = 0; i < 2; i++) (globalThis as { gc?: () => void }).gc?.();
  }
  const populateMs = performance.now() - populateStarted;
  const started = performance.now();
  const server = await startServer({
    store,
    port: Number(process.env.GROWTH_PORT ?? 0),
    host: '127.0.0.1',
    logLevel: 'warn',
    maxWaiters: 100_000,
  });
  send({ type: 'ready', url: server.url, populateMs, startMs: performance.now() - started });
  process.on('message', (message: HostCommand) => {
    (async () => {
      if (message.cmd === 'heap') {
        // Every unfinished job tracked (a server may be ready before it has read them all).
        const scheduler = server.context.scheduler as { loaded?: boolean };
        while (scheduler.loaded === false) await new Promise((r) => setTimeout(r, 50));
        for (let i = 0; i < 3; i++) (globalThis as { gc?: () => void }).gc?.();
        const usage = process.memoryUsage();
        send({ type: 'heap', bytes: usage.heapUsed + usage.arrayBuffers, rss: usage.rss });
      } else if (message.cmd === 'sweep') {
        loop.reset();
        // The first interval after a reset is not recorded: let one pass before the sweep.
        await new Promise((r) => setTimeout(r, 30));
        const t0 = performance.now();
        const deleted = await server.context.store.purgeExpired(message.before, []);
        const ms = performance.now() - t0;
        // A loop blocked throughout is recorded when the monitor's next tick runs, after it.
        await new Promise((r) => setTimeout(r, 50));
        send({ type: 'sweep', ms, deleted, loopMaxMs: Math.max(0, loop.max / 1e6 - 10) });
      } else {
        await server.close();
        process.exit(0);
      }
    })().catch((err: unknown) =>
      send({
        type: 'error',
        message: err instanceof Error ? (err.stack ?? err.message) : String(err),
      }),
    );
  });
}

main().catch((err: unknown) => {
  send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
