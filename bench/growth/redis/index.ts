/**
 * Redis growth benchmark: `npx tsx bench/growth/redis/index.ts [--quick] [--jobs N] [--rounds N]
 * [--json FILE]`.
 * Needs the built server (`npm run build`) and redis-server. See README.md beside this file.
 */
import { writeFileSync } from 'node:fs';
import { FULL, QUICK, runRedisGrowth, type RedisGrowthReport } from './run.js';

function table(r: RedisGrowthReport): string {
  const mb = (b: number) => (b / 1_048_576).toFixed(1);
  const lines = [
    `Redis store with ${r.jobs} jobs (populated in ${(r.populate.elapsedMs / 1000).toFixed(1)} s, ${r.populate.events} events)`,
    '',
    '| measure | value |',
    '|---|---|',
    `| Redis used_memory | ${mb(r.memory.usedBytes)} MB = ${Math.round(r.memory.usedBytes / r.jobs)} B per job |`,
  ];
  for (const k of r.memory.byKind) {
    const per = k.entries ? `, ${Math.round(k.bytes / k.entries)} B per entry` : '';
    lines.push(
      `| \`${k.kind}\` keys (${k.keys} keys, ${k.entries} entries) | ${mb(k.bytes)} MB = ${Math.round(k.bytes / r.jobs)} B per job${per} |`,
    );
  }
  lines.push(
    `| restart: /healthz, /readyz after spawn | ${r.restart.liveAfterMs} / ${r.restart.readyAfterMs} ms (RSS ${r.restart.rssMb} MB) |`,
    `| events kept after 100 writes (retention ${r.retentionHours} h) | ${r.historyAfterWrites.entries}, ${r.historyAfterWrites.olderThanRetention} older than the retention, oldest ${r.historyAfterWrites.oldestAgeHours} h old |`,
  );
  for (const l of r.lists) {
    lines.push(
      `| GET /v1/jobs status=${l.status}: p50 / p99 / max; Redis's time p50 / p99 | ${l.p50Ms} / ${l.p99Ms} / ${l.maxMs} ms; ${l.redisUsP50} / ${l.redisUsP99} µs (${l.count} queries, ${l.errors} errors) |`,
    );
  }
  const s = r.sweep;
  lines.push(
    `| sweep: deleted, elapsed | ${s.deleted} jobs in ${s.elapsedMs} ms |`,
    `| during the sweep: longest single Redis command; sweeper's event-loop stall | ${s.redisMaxCommandMs} ms (${s.redisMaxCommand}); ${s.loopMaxMs} ms |`,
    `| during the sweep: job reads p50 / p99 / max | ${s.probe.p50Ms} / ${s.probe.p99Ms} / ${s.probe.maxMs} ms (${s.probe.count} reads, ${s.probe.errors} errors) |`,
    `| events kept after the sweep | ${r.historyAfterSweep.entries}, ${r.historyAfterSweep.olderThanRetention} older than the retention, oldest ${r.historyAfterSweep.oldestAgeHours} h old |`,
    `| Redis used_memory after the sweep | ${mb(r.memoryAfterSweep.usedBytes)} MB |`,
  );
  return lines.join('\n');
}

const args = process.argv.slice(2);
const valueOf = (flag: string): string | undefined => {
  const at = args.indexOf(flag);
  return at === -1 ? undefined : args[at + 1];
};
const options = structuredClone(args.includes('--quick') ? QUICK : FULL);
const jobs = valueOf('--jobs');
if (jobs) {
  const n = Number(jobs);
  if (!Number.isSafeInteger(n) || n < 100) {
    process.stderr.write(
      `--jobs must be an integer of at least 100, not ${JSON.stringify(jobs)}\n`,
    );
    process.exit(2);
  }
  // The full run's mix: a tenth expired, seven tenths finished, a tenth each finished while down and pending.
  options.counts = {
    expired: Math.round(n * 0.1),
    finished: Math.round(n * 0.7),
    finishedWhileDown: Math.round(n * 0.1),
    pending: Math.round(n * 0.1),
  };
}
const rounds = valueOf('--rounds');
if (rounds) {
  const n = Number(rounds);
  if (!Number.isSafeInteger(n) || n < 1) {
    process.stderr.write(`--rounds must be a positive integer, not ${JSON.stringify(rounds)}\n`);
    process.exit(2);
  }
  options.listRounds = n;
}
const jsonFile = valueOf('--json');
try {
  const report = await runRedisGrowth(options, (line) =>
    process.stderr.write(`redis-growth: ${line}\n`),
  );
  process.stdout.write(`${table(report)}\n`);
  if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
} catch (err) {
  process.stderr.write(`redis-growth: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
