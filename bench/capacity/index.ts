/**
 * Server capacity benchmark: `npx tsx bench/capacity/index.ts [--quick] [--json FILE]
 * [--store SPEC]`. Needs the built server (`npm run build`). See README.md beside this file.
 */
import { writeFileSync } from 'node:fs';
import { FULL, QUICK, runCapacity, type CapacityReport } from './run.js';

function table(r: CapacityReport): string {
  const fmt = (n: number, digits = 0) => (Number.isNaN(n) ? '–' : n.toFixed(digits));
  const pct = (ratios: number[]) => ratios.map((x) => fmt(x * 100)).join(' ');
  const lines = ['| measure | value | target |', '|---|---|---|'];
  const w = r.waiters;
  if (w) {
    lines.push(
      `| held long polls (${w.store}) | ${w.requested} opened, ${w.heldAtFirstFinish} held at once; ${w.woken} woken, ${w.lateArrivals} arrived after finish, ${w.errors} errors | 10,000 |`,
      `| server RSS: idle / all held / peak | ${fmt(w.rssBaselineMb)} / ${fmt(w.rssHeldMb)} / ${fmt(w.rssPeakMb)} MB | ≤ 300 MB |`,
      `| wake after completed_at: p50 / p99 / max | ${fmt(w.wake.p50Ms)} / ${fmt(w.wake.p99Ms)} / ${fmt(w.wake.maxMs)} ms (${w.wake.count} wakes) | p99 ≤ 100 ms |`,
      `| longest server event-loop stall while waking (delays every wake) | ${fmt(w.loopStallMs)} ms | — |`,
      `| server CPU per held request (open + hold + wake + answer) | ${fmt(w.cpuPerWaiterUs)} µs | — |`,
    );
  }
  const t = r.throughput;
  if (t) {
    lines.push(
      `| GET /v1/jobs/{id} | ${fmt(t.job.rps)} req/s; ${fmt(t.jobRatio * 100)} % of bare (rounds: ${pct(t.jobRatios)}); server CPU ${fmt(t.job.serverCpuUs)} µs/request | ≥ 50 % |`,
      `| GET /status | ${fmt(t.status.rps)} req/s; ${fmt(t.statusRatio * 100)} % of bare (rounds: ${pct(t.statusRatios)}); server CPU ${fmt(t.status.serverCpuUs)} µs/request | ≥ 50 % |`,
      `| bare Fastify route | ${fmt(t.bare.rps)} req/s, server CPU ${fmt(t.bare.serverCpuUs)} µs/request | — |`,
    );
  }
  const c = r.crossInstance;
  lines.push(
    'skipped' in c
      ? `| cross-instance wake (Redis) | skipped: ${c.skipped} | — |`
      : `| cross-instance wake (Redis), cancel on B → held on A: p50 / p99 / max | ${fmt(c.p50Ms)} / ${fmt(c.p99Ms)} / ${fmt(c.maxMs)} ms (${c.count} waiters, ${c.errors} errors) | — |`,
  );
  if (w?.errorSamples.length) lines.push('', `errors: ${w.errorSamples.join('; ')}`);
  return lines.join('\n');
}

const args = process.argv.slice(2);
/** The value after a flag, e.g. `--store memory`. */
const valueOf = (flag: string): string | undefined => {
  const at = args.indexOf(flag);
  return at === -1 ? undefined : args[at + 1];
};
const options = { ...(args.includes('--quick') ? QUICK : FULL) };
const store = valueOf('--store');
if (store) options.store = store;
const only = valueOf('--only');
if (only) options.only = only.split(',') as NonNullable<typeof options.only>;
const profileDir = valueOf('--profile');
if (profileDir) options.serverNodeArgs = ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
// Node flags for the server, e.g. --node-args=--max-semi-space-size=2 (space-separated for several).
const nodeArgs = args.find((a) => a.startsWith('--node-args='));
if (nodeArgs) {
  const extra = nodeArgs.slice('--node-args='.length).split(' ').filter(Boolean);
  options.serverNodeArgs = [...(options.serverNodeArgs ?? []), ...extra];
}
const jsonFile = valueOf('--json');
try {
  const report = await runCapacity(options, (line) => process.stderr.write(`capacity: ${line}\n`));
  process.stdout.write(`${table(report)}\n`);
  if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
} catch (err) {
  process.stderr.write(`capacity: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
