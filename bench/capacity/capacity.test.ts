/**
 * The capacity benchmark's quick mode, run by `npm test`: every part runs end to end and reports
 * sane numbers. No timing is asserted (the machine running the suite is shared and noisy); the
 * numbers themselves belong in the README, from a full run.
 */
import { describe, expect, it } from 'vitest';
import { needs } from '@vtrans/test-support';
import { QUICK, runCapacity } from './run.js';

describe('capacity benchmark (quick mode)', () => {
  it('holds every long poll, wakes each with its terminal job, and measures throughput', async () => {
    const report = await runCapacity(QUICK);
    const w = report.waiters!;
    expect(w.errors, w.errorSamples.join('; ')).toBe(0);
    // Every waiter got its job's terminal state: woken while held, or (slow machine) after.
    expect(w.woken + w.lateArrivals).toBe(QUICK.waiters);
    expect(w.wake.count).toBe(w.woken);
    expect(w.wake.p50Ms).toBeLessThanOrEqual(w.wake.p99Ms);
    expect(w.rssPeakMb).toBeGreaterThan(0);
    expect(w.rssPeakMb).toBeGreaterThanOrEqual(w.rssBaselineMb);
    // Read from the server's gauge: a missing gauge would read as NaN.
    expect(w.loopStallMs).toBeGreaterThanOrEqual(0);
    const t = report.throughput!;
    for (const run of [t.job, t.status, t.bare]) {
      expect(run.rps).toBeGreaterThan(0);
      expect(run.failures).toBe(0);
      expect(run.serverCpuUs).toBeGreaterThan(0);
    }
    expect(t.jobRatios).toHaveLength(QUICK.throughputRounds);
    expect(Math.min(...t.jobRatios)).toBeLessThanOrEqual(t.jobRatio);
    expect(Math.max(...t.jobRatios)).toBeGreaterThanOrEqual(t.jobRatio);
    if (needs('redis', 'bench/capacity cross-instance wake')) {
      expect(report.crossInstance).toMatchObject({ count: QUICK.crossInstanceWaiters, errors: 0 });
    } else {
      expect(report.crossInstance).toEqual({ skipped: 'redis-server is not installed' });
    }
  }, 90_000);
});
