import { describe, expect, it } from 'vitest';
import { SCENARIOS } from '@vtrans/test-support';
import { runChaos } from './index.js';

describe('bench/chaos --quick', () => {
  it('runs every scenario and every wait ends with the job’s real fate (no timing asserted)', async () => {
    const report = await runChaos({ quick: true });
    expect(report.results.map((r) => r.name)).toEqual(SCENARIOS.map((s) => s.name));
    for (const r of report.results) {
      expect(r.wrong, r.name).toEqual([]);
      expect(r.correct).toBe(r.waits);
      expect(r.requests).toBeGreaterThan(0);
    }
    expect(report.ratios).toHaveLength(SCENARIOS.length - 1);
    // The verdict judges the tail as well as the median (30 waits: the tail is the maximum).
    for (const r of report.ratios) {
      expect(r.meetsTarget).toBe(r.meetsMedian && r.meetsTail);
      expect(Number.isFinite(r.tailExcessMs)).toBe(true);
    }
    expect(report.table).toContain('| max vs no faults | target |');
    for (const s of SCENARIOS) expect(report.table).toContain(`| ${s.name} |`);
    for (const o of report.outages) {
      expect(o.wrong).toEqual([]);
      expect(o.correct).toBe(o.waits);
    }
    expect(report.outageTable).toContain('| 1.5 s |');
  }, 60_000);
});
