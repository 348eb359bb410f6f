/**
 * The quick nemesis runs `npm test` makes: the shipped multi-instance deployment (nginx with
 * deploy/nginx.conf, three instances, one append-only Redis) for 60 s under every kind of fault,
 * and the single-process SQLite deployment under kill -9 and restart — both with fixed seeds, both
 * checked from their histories. Timings are printed, never asserted.
 */
import { describe, expect, it } from 'vitest';
import { costTable, verdictText } from './report.js';
import { runNemesis, type RunReport } from './run.js';
import { needs } from '@vtrans/test-support';

const hasRedis = needs('redis', 'bench/nemesis quick runs');
const hasNginx = needs('nginx', 'bench/nemesis quick runs');

function show(report: RunReport): void {
  console.log(
    `${report.kind}, seed ${report.seed}: ${report.faults.length} faults\n${verdictText(report.verdict)}\n${report.traces.map((t) => t.join('\n')).join('\n')}\n\n${costTable(report.costs)}\nphases (ms): ${JSON.stringify(report.phasesMs)}`,
  );
}

describe.skipIf(!hasRedis || !hasNginx)('bench/nemesis quick runs', () => {
  it('nginx + 3 instances + Redis, 60 s under every kind of fault: no anomaly', async () => {
    const report = await runNemesis({
      kind: 'redis',
      seed: 'quick',
      durationMs: 60_000,
      burstEveryMs: 40_000,
    });
    show(report);
    expect(new Set(report.faults.map((f) => f.kind))).toEqual(
      new Set(['instance-kill', 'instance-pause', 'redis-pause', 'redis-kill', 'nginx-reload']),
    );
    expect(report.counts['create first ok']).toBeGreaterThan(100);
    expect(report.counts['events received']).toBeGreaterThan(100);
    expect(report.counts['webhook arrivals']).toBeGreaterThan(10);
    // More than 100 waits on one client go over one /v1/events stream.
    expect(report.counts['http GET /v1/events (burst client)']).toBeGreaterThan(0);
    expect(report.verdict.anomalies).toEqual([]);
  }, 300_000);

  it('one process on SQLite, 30 s of kill -9 and restart: no anomaly', async () => {
    const report = await runNemesis({ kind: 'sqlite', seed: 'quick', durationMs: 30_000 });
    show(report);
    expect(report.faults.length).toBe(report.schedule.length);
    expect(report.faults.length).toBeGreaterThanOrEqual(2);
    expect(report.faults.every((f) => f.kind === 'instance-kill')).toBe(true);
    expect(report.counts['create first ok']).toBeGreaterThan(50);
    expect(report.verdict.anomalies).toEqual([]);
  }, 200_000);
});
