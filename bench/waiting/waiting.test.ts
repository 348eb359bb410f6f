import { describe, expect, it } from 'vitest';
import { formatTable, runWaitingBench } from './index.js';

describe('bench/waiting --quick', () => {
  it(
    'waits on every job with every approach and prints a sane table',
    { timeout: 60_000 },
    async () => {
      const rows = await runWaitingBench({ quick: true });
      expect(rows.map((r) => r.approach)).toEqual([
        'vtrans auto (client per job)',
        'vtrans auto (one shared client)',
        'vtrans sse',
        'vtrans poll from hints',
        'fixed 1 s polling',
        'original 1 s doubling',
        'AWS SDK waiter 2–120 s',
      ]);
      for (const row of rows) {
        expect(row.jobs).toBeGreaterThan(0);
        expect(row.gaveUp).toBe(0);
        // Detection cannot precede completion (clock skew inside one process is nil).
        expect(row.p50Ms).toBeGreaterThanOrEqual(0);
        expect(row.maxMs).toBeGreaterThanOrEqual(row.p50Ms);
        expect(row.requestsPerJob).toBeGreaterThanOrEqual(1);
      }
      const table = formatTable(rows);
      expect(table.split('\n')).toHaveLength(rows.length + 2);
      expect(table).toContain('| requests/job |');
    },
  );
});
