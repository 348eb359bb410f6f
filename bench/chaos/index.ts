/**
 * The chaos bench: waits under injected faults next to the same waits without faults.
 *
 *   npx tsx bench/chaos/index.ts            # 200 waits a scenario: 1 client, 20, 1 forcing long-poll
 *   npx tsx bench/chaos/index.ts --quick    # 30 waits on 4 clients (what `npm test` runs)
 *   npx tsx bench/chaos/index.ts --json out.json
 *
 * Needs the packages built (`npm run build`). See README.md beside this file.
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { DEFAULTS, type WaitStrategy } from '@vtrans/client';
import {
  runOutage,
  runScenario,
  SCENARIOS,
  type ChaosOptions,
  type OutageResult,
  type Scenario,
  type ScenarioResult,
} from '@vtrans/test-support';

export interface ChaosReport {
  quick: boolean;
  results: ScenarioResult[];
  /**
   * Each faulty scenario against the fault-free one of the same pass: the median's ratio, the
   * tail's excess, and whether both stay within the target (see `TARGET_RATIO`, `TAIL_ALLOWANCE_MS`).
   */
  ratios: {
    name: string;
    clients: number;
    strategy: WaitStrategy;
    p50Ratio: number;
    /** The tail (p99; the maximum under 100 waits) minus the fault-free one, ms. */
    tailExcessMs: number;
    meetsMedian: boolean;
    meetsTail: boolean;
    /** Both. */
    meetsTarget: boolean;
  }[];
  table: string;
  /** Full outages (a proxy refusing connections) while every job finishes. */
  outages: OutageResult[];
  outageTable: string;
}

/**
 * The target under 30 % failures, on the median: lateness at most doubles against the same waits
 * without faults…
 */
const TARGET_RATIO = 2;
/** …(below this the fault-free median is noise; ratios are taken against at least this)… */
const MIN_BASELINE_MS = 10;
/**
 * …and on the tail: the p99 (the maximum, under 100 waits) is at most one capped client backoff
 * (`retry.maxDelayMs`, 3 s by default) later than without faults — a wait in the worst 1 % may
 * lose one full backoff to failures, not a streak of them.
 */
const TAIL_ALLOWANCE_MS = DEFAULTS.retry.maxDelayMs;

/** p99 where there are enough waits for one, else the maximum. */
const tailOf = (r: ScenarioResult) =>
  Number.isNaN(r.latenessMs.p99) ? r.latenessMs.max : r.latenessMs.p99;

const fmt = (n: number) => (Number.isFinite(n) ? String(Math.round(n)) : '–');
/** `+2.9 s`, `-0.0 s` */
const signedSeconds = (ms: number) => `${ms >= 0 ? '+' : '-'}${(Math.abs(ms) / 1000).toFixed(1)} s`;
/** ✓ when the median and the tail both stay within the target; otherwise which missed. */
const verdict = (r: { meetsMedian: boolean; meetsTail: boolean }) =>
  r.meetsMedian && r.meetsTail
    ? '✓'
    : `✗ ${[r.meetsMedian ? '' : 'median', r.meetsTail ? '' : 'tail'].filter(Boolean).join(', ')}`;

export async function runChaos(options: {
  quick: boolean;
  log?: (line: string) => void;
}): Promise<ChaosReport> {
  const { quick, log = () => undefined } = options;
  const base: Omit<ChaosOptions, 'clients'> = quick
    ? { waits: 30, durationMs: [150, 400], seed: 'chaos-quick', timeoutMs: 20_000 }
    : { waits: 200, durationMs: [1000, 5000], seed: 'chaos', timeoutMs: 60_000 };
  const clientCounts = quick ? [4] : [1, 20];
  const passes: { clients: number; strategy: WaitStrategy; scenarios: Scenario[] }[] = [
    ...clientCounts.map((clients) => ({
      clients,
      strategy: 'auto' as const,
      scenarios: SCENARIOS,
    })),
  ];
  if (!quick) {
    // Forced long polls are one request stream per wait, so one client meets many failures at
    // once: the retry budget's worst case.
    const scenarios = SCENARIOS.filter((s) => s.faults === undefined || s.faults === '500=0.3');
    passes.push({ clients: 1, strategy: 'long-poll', scenarios });
  }
  // Warm-up: the first waits in a fresh process pay for JIT and connection set-up.
  await runScenario(SCENARIOS[0]!, { ...base, waits: 10, durationMs: [50, 100], clients: 1 });
  const results: ScenarioResult[] = [];
  for (const { clients, strategy, scenarios } of passes) {
    for (const scenario of scenarios) {
      const result = await runScenario(scenario, { ...base, clients, strategy });
      results.push(result);
      log(
        `${scenario.name} (${clients} client${clients > 1 ? 's' : ''}, ${strategy}): ${result.correct}/${result.waits} right, p50 ${fmt(result.latenessMs.p50)} ms, ${result.requests} requests`,
      );
    }
  }
  const isSamePass = (a: ScenarioResult, b: ScenarioResult) =>
    a.clients === b.clients && a.strategy === b.strategy;
  const ratios = results
    .filter((r) => r.faults !== 'none')
    .map((r) => {
      const baseline = results.find((b) => b.faults === 'none' && isSamePass(b, r))!;
      const p50Ratio = r.latenessMs.p50 / Math.max(MIN_BASELINE_MS, baseline.latenessMs.p50);
      const tailExcessMs = tailOf(r) - tailOf(baseline);
      const meetsMedian = p50Ratio <= TARGET_RATIO;
      const meetsTail = tailExcessMs <= TAIL_ALLOWANCE_MS;
      return {
        name: r.name,
        clients: r.clients,
        strategy: r.strategy,
        p50Ratio,
        tailExcessMs,
        meetsMedian,
        meetsTail,
        meetsTarget: meetsMedian && meetsTail,
      };
    });
  const rows = results.map((r) => {
    const ratio = ratios.find(
      (x) => x.name === r.name && x.clients === r.clients && x.strategy === r.strategy,
    );
    const clients = r.strategy === 'auto' ? String(r.clients) : `${r.clients} (${r.strategy})`;
    const failures = Object.entries(r.byOutcome)
      .filter(([k]) => k !== '200' && k !== '201' && k !== '304')
      .map(([k, v]) => `${k}×${v}`)
      .join(' ');
    const vsBaseline = ratio
      ? `${ratio.p50Ratio.toFixed(1)}× | ${signedSeconds(ratio.tailExcessMs)} | ${verdict(ratio)}`
      : 'baseline | baseline | –';
    return `| ${r.name} | ${clients} | ${r.correct}/${r.waits} | ${fmt(r.latenessMs.p50)} | ${fmt(r.latenessMs.p90)} | ${fmt(r.latenessMs.p99)} | ${fmt(r.latenessMs.max)} | ${r.requests} | ${r.requestsPerWait.toFixed(2)} | ${failures || '–'} | ${vsBaseline} |`;
  });
  const tailName = results.some((r) => Number.isNaN(r.latenessMs.p99)) ? 'max' : 'p99';
  const table = [
    `| scenario | clients | right | p50 ms | p90 ms | p99 ms | max ms | requests | req/wait | failed requests | p50 vs no faults | ${tailName} vs no faults | target |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
  const outageMs = quick ? 1500 : 10_000;
  const outages: OutageResult[] = [];
  for (const clients of clientCounts) {
    const outage = await runOutage({ waits: base.waits, clients, outageMs });
    outages.push(outage);
    log(
      `outage ${outageMs / 1000} s (${clients} client${clients > 1 ? 's' : ''}): ${outage.correct}/${outage.waits} right, ${outage.requestsDuringOutage} requests while down, noticed ${fmt(outage.noticeAfterRecoveryMs.p50)} ms after recovery`,
    );
  }
  const outageTable = [
    '| outage | clients | right | requests while down | per second | noticed after recovery p50 ms | max ms | requests in all |',
    '|---|---|---|---|---|---|---|---|',
    ...outages.map(
      (o) =>
        `| ${o.outageMs / 1000} s | ${o.clients} | ${o.correct}/${o.waits} | ${o.requestsDuringOutage} | ${o.requestsPerSecondDuringOutage.toFixed(1)} | ${fmt(o.noticeAfterRecoveryMs.p50)} | ${fmt(o.noticeAfterRecoveryMs.max)} | ${o.requests} |`,
    ),
  ].join('\n');
  return { quick, results, ratios, table, outages, outageTable };
}

async function main(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const jsonAt = argv.indexOf('--json');
  const jsonPath = jsonAt >= 0 ? argv[jsonAt + 1] : undefined;
  const report = await runChaos({ quick, log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`\n${report.table}\n\n${report.outageTable}\n\n`);
  process.stdout.write(
    'Lateness: time from a job’s completed_at (or the wait’s start, if later) to the wait settling.\n' +
      `Target: p50 at most ${TARGET_RATIO}× the fault-free one (taken as at least ${MIN_BASELINE_MS} ms), and p99 at most ${TAIL_ALLOWANCE_MS / 1000} s (retry.maxDelayMs) later than the fault-free one;\n` +
      'with fewer than 100 waits a p99 is only the maximum: the p99 column says –, and the target judges the maximum.\n' +
      'Failed requests count statuses ≥ 400 and network errors; a truncated body fails after its 200.\n',
  );
  if (jsonPath) writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  const everyWrong = [...report.results, ...report.outages].flatMap((r) => r.wrong);
  const wrong = everyWrong.length;
  if (wrong > 0) {
    process.stderr.write(`${wrong} waits ended wrongly:\n${everyWrong.join('\n')}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
