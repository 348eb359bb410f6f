import { describe, expect, it } from 'vitest';
import { formatReport, QUICK, runConcurrentWaits } from './concurrent.js';

describe('bench/waiting/concurrent --quick', () => {
  it(
    'waits on every job over one event stream and prints a sane table (no timing asserted)',
    { timeout: 90_000 },
    async () => {
      const report = await runConcurrentWaits(QUICK);
      expect(report.completed).toBe(QUICK.waits);
      expect(report.requestsByPath['/v1/events']).toBe(1);
      expect(report.transports).toContain('events');
      expect(report.maxConnections).toBeLessThanOrEqual(2);
      // Lateness is never negative, and with 200 waits the p99 is a percentile, not the maximum.
      const l = report.latenessMs;
      expect(l.p50).toBeGreaterThanOrEqual(0);
      expect(l.p90).toBeGreaterThanOrEqual(l.p50);
      expect(l.p99).toBeGreaterThanOrEqual(l.p90);
      expect(l.max).toBeGreaterThanOrEqual(l.p99);
      const table = formatReport(report);
      expect(table.split('\n')).toHaveLength(3);
      expect(table).toContain(`| ${QUICK.waits} | ${QUICK.waits} |`);
    },
  );
});
