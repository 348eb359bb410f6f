/**
 * The nemesis run from the command line (`npm run nemesis -- …`):
 *
 *   npm run nemesis                                   # Redis deployment, 10 min, seed "nemesis"
 *   npm run nemesis -- --seed 7 --duration 2m
 *   npm run nemesis -- --store sqlite --duration 60s  # the single-process SQLite deployment
 *   npm run nemesis -- --json run.json                # the whole report as JSON too
 *
 * Prints the schedule, the operation counts, the checker's verdict and what each fault cost the
 * clients; exits 0 only when the checker finds no anomaly. Needs `npm run build`, redis-server
 * and nginx (see README.md beside this file).
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { DeploymentKind } from './cluster.js';
import { costByKindTable, costTable, countsText, scheduleText, verdictText } from './report.js';
import { runNemesis } from './run.js';

interface Args {
  seed: string;
  durationMs: number;
  kind: DeploymentKind;
  json: string | undefined;
}

/** `90`, `90s`, `10m`, `1500ms` → ms. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) return undefined;
  const unit = m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000;
  const ms = Number(m[1]) * unit;
  return ms >= 10_000 && ms <= 24 * 3_600_000 ? ms : undefined;
}

export function parseArgs(argv: readonly string[]): Args | string {
  const args: Args = { seed: 'nemesis', durationMs: 600_000, kind: 'redis', json: undefined };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (value === undefined || !['--seed', '--duration', '--store', '--json'].includes(flag)) {
      return `unknown or incomplete option ${JSON.stringify(flag)} (use --seed S, --duration 10m, --store redis|sqlite, --json FILE)`;
    }
    i++;
    if (flag === '--seed') args.seed = value;
    else if (flag === '--json') args.json = value;
    else if (flag === '--store') {
      if (value !== 'redis' && value !== 'sqlite')
        return `--store must be redis or sqlite, got ${JSON.stringify(value)}`;
      args.kind = value;
    } else {
      const ms = parseDuration(value);
      if (ms === undefined)
        return `--duration must be 10s to 24h (e.g. 90s, 10m), got ${JSON.stringify(value)}`;
      args.durationMs = ms;
    }
  }
  return args;
}

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    process.stderr.write(`nemesis: ${args}\n`);
    process.exitCode = 2;
    return;
  }
  const write = (text: string) => process.stdout.write(`${text}\n`);
  const started = Date.now();
  const report = await runNemesis({
    kind: args.kind,
    seed: args.seed,
    durationMs: args.durationMs,
    burstEveryMs: 120_000,
    log: (line) => write(line),
  });
  write(`\nschedule (seed ${report.seed}):\n${scheduleText(report.schedule)}`);
  write(`\noperations:\n${countsText(report.counts)}`);
  write(`\n${verdictText(report.verdict)}`);
  for (const trace of report.traces) write(`\n${trace.join('\n')}`);
  write(`\nwhat each fault cost the clients:\n\n${costTable(report.costs)}`);
  write(`\nby kind:\n\n${costByKindTable(report.costs)}`);
  write(
    `\nphases (ms): ${Object.entries(report.phasesMs)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}; ${((Date.now() - started) / 1000).toFixed(0)} s in all`,
  );
  if (args.json) writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
  process.exitCode = report.verdict.anomalies.length === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
