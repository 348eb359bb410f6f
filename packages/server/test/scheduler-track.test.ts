/**
 * The scheduler learns of a job created elsewhere (another instance on a shared store) from its
 * `job.created` notice and reads the record. When that read fails — the store is away for a moment,
 * as when Redis stalls just after the create — it must read again later: otherwise no instance
 * tracks the job, and its stage and terminal events (and the webhooks they queue) are never written
 * until some instance restarts. The store is the memory store with its reads failing on demand.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../src/clock.js';
import { eventForStep } from '../src/sim/job-events.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { StoreUnavailableError, type Store } from '../src/store/types.js';
import { Hub } from '../src/wait/hub.js';
import { Scheduler } from '../src/wait/scheduler.js';
import { jobRecord } from './helpers/records.js';

/** The memory store, whose next `failures` reads of one job throw as an unreachable store does. */
function flakyReads(store: MemoryStore, failures: { left: number }): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'getJob' && failures.left > 0) {
        failures.left--;
        return async () => {
          throw new StoreUnavailableError('The store does not answer');
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the scheduler and a job created elsewhere', () => {
  it('reads the new job again when the first read fails, and writes its terminal event', async () => {
    const memory = new MemoryStore();
    const failures = { left: 1 };
    const scheduler = new Scheduler(
      flakyReads(memory, failures),
      new Hub(),
      systemClock,
      pino({ level: 'silent' }),
    );
    await scheduler.start();
    try {
      const now = Date.now();
      const record = jobRecord('job_elsewhere00000000001', {
        createdAt: now,
        etaAt: now + 300,
        finishAt: now + 300,
      });
      // Another instance writes the job; this one only hears the notice.
      await memory.createJob(record, eventForStep(record, 0, now));
      expect(failures.left).toBe(0);
      await sleep(1800);
      const types = (await memory.readEvents('acme', undefined, 100)).map((e) => e.type);
      expect(types[0]).toBe('job.created');
      expect(types.at(-1)).toBe('job.completed');
    } finally {
      await scheduler.stop();
    }
  });
});
