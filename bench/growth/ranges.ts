/**
 * Several runs at once: `npx tsx bench/growth/ranges.ts RUN.json…` prints, for each store and size
 * found in the reports (`index.ts --json`), every figure a run prints as the range over the runs
 * that measured it, with how many did — what the README's results give.
 */
import { readFileSync } from 'node:fs';
import { DEPTHS, STATUS_FILTERS, type ListReport, type LoadingListReport } from './lists.js';
import type { StoreReport } from './run.js';
import type { StartReport } from './servers.js';

type Unit = 'ms' | 's' | 'B' | 'n';
type Figure = [label: string, unit: Unit, value: (r: StoreReport) => number | undefined];

const fmt = (n: number, unit: Unit): string =>
  unit === 's' ? (n / 1000).toFixed(n < 10_000 ? 2 : 1) : String(Math.round(n));

/** Bytes in one scale, the one the larger end needs. */
function byteRange(lo: number, hi: number): string {
  const [div, name] = hi >= 1e9 ? [1e9, 'GB'] : hi >= 1e6 ? [1e6, 'MB'] : [1, 'B'];
  const [a, b] = [lo, hi].map((n) =>
    div === 1 ? String(Math.round(n)) : (n / div).toFixed(div === 1e9 ? 2 : 1),
  );
  return `${a === b ? a : `${a}–${b}`} ${name}`;
}

/** `a–b unit`, one value when every run agrees; `(k of n runs)` when only some measured it. */
export function range(values: readonly number[], unit: Unit): string {
  const seen = values.filter(Number.isFinite);
  if (seen.length === 0) return '–';
  const [lo, hi] = [Math.min(...seen), Math.max(...seen)];
  const some = seen.length < values.length ? ` (${seen.length} of ${values.length} runs)` : '';
  if (unit === 'B') return `${byteRange(lo, hi)}${some}`;
  const [a, b] = [fmt(lo, unit), fmt(hi, unit)];
  return `${a === b ? a : `${a}–${b}`}${unit === 'n' ? '' : ` ${unit}`}${some}`;
}

/** Bare ranges of several figures side by side, one unit after them: `1–3 / 2 / 4–9 ms`. */
function ranges(values: readonly (readonly number[])[], unit: 'ms'): string {
  const cells = values.map((vs) => {
    const seen = vs.filter(Number.isFinite);
    if (seen.length === 0) return '–';
    const [a, b] = [fmt(Math.min(...seen), unit), fmt(Math.max(...seen), unit)];
    return a === b ? a : `${a}–${b}`;
  });
  return `${cells.join(' / ')} ${unit}`;
}

function startFigures(name: string, get: (r: StoreReport) => StartReport | undefined): Figure[] {
  const ok = (r: StoreReport) => {
    const s = get(r);
    return s?.started ? s : undefined;
  };
  return [
    [`${name}: runs that started`, 'n', (r) => (get(r) ? (get(r)?.started ? 1 : 0) : undefined)],
    [`${name}: spawn to /healthz`, 's', (r) => ok(r)?.liveMs],
    [`${name}: spawn to /readyz`, 's', (r) => ok(r)?.readyMs],
    [`${name}: 503s before ready`, 'n', (r) => ok(r)?.notReadyAnswers],
    [`${name}: /healthz p99 while not ready`, 'ms', (r) => ok(r)?.healthzWhileCatchingUp.p99Ms],
    [`${name}: /healthz max while not ready`, 'ms', (r) => ok(r)?.healthzWhileCatchingUp.maxMs],
    [`${name}: longest stall to ready`, 'ms', (r) => ok(r)?.stallMs],
    [`${name}: idle process's longest gap meanwhile`, 'ms', (r) => ok(r)?.noiseMs],
    [`${name}: terminal events written at ready`, 'n', (r) => ok(r)?.terminalWrittenAtReady],
  ];
}

/** A figure, or a row of several (one range per depth) printed side by side. */
type Row = Figure | [label: string, unit: 'ms', values: ((r: StoreReport) => number | undefined)[]];

function listFigures(name: string, get: (r: StoreReport) => ListReport | undefined): Row[] {
  const all = (r: StoreReport) => Object.values(get(r) ?? {});
  const max = (r: StoreReport, pick: (v: ListReport[string]) => number) =>
    all(r).length ? Math.max(...all(r).map(pick)) : undefined;
  const rows: Row[] = [
    [`${name}: worst p99 of any query`, 'ms', (r) => max(r, (v) => v.p99Ms)],
    [`${name}: longest stall while listing`, 'ms', (r) => max(r, (v) => v.stallMs)],
    [`${name}: idle process's longest gap meanwhile`, 'ms', (r) => max(r, (v) => v.noiseMs)],
  ];
  for (const status of STATUS_FILTERS)
    rows.push([
      `${name}: status=${status}, p99 from first / 50 % / 99 %`,
      'ms',
      DEPTHS.map(
        ([depth]) =>
          (r: StoreReport) =>
            get(r)?.[`${status} ${depth}`]?.p99Ms,
      ),
    ]);
  return rows;
}

const FIGURES: Row[] = [
  ['populate pending', 's', (r) => r.pending.populateMs],
  ['populate finished', 's', (r) => r.finished.populateMs],
  ['populate finished-while-down', 's', (r) => r.finishedWhileDown.populateMs],
  ...startFigures('restart, all pending', (r) => r.pending.start),
  ...startFigures('restart, all finished while down', (r) => r.finishedWhileDown.start),
  ['heap of a server on an empty store', 'B', (r) => r.emptyHeapBytes],
  ['heap per pending job', 'B', (r) => r.pending.heapPerJobBytes],
  ['storage per finished job', 'B', (r) => r.finished.storagePerJobBytes],
  ...listFigures('lists, finished jobs', (r) => r.finished.lists),
  ...listFigures('lists, pending jobs', (r) => r.pending.lists),
  ...(
    [
      ['p50', (l) => l.p50Ms],
      ['p99', (l) => l.p99Ms],
      ['max', (l) => l.maxMs],
      ['longest stall', (l) => l.stallMs],
      ["idle process's longest gap", (l) => l.noiseMs],
    ] as const satisfies readonly [string, (l: LoadingListReport) => number][]
  ).map(([name, pick]): Figure => [
    `lists, pending jobs, while the scheduler reads them after the start: ${name}`,
    'ms',
    (r) => (r.pending.listsWhileLoading ? pick(r.pending.listsWhileLoading) : undefined),
  ]),
  [
    'lists, pending jobs: scheduler had read them all after',
    's',
    (r) => r.pending.listsWhileLoading?.loadedAfterMs,
  ],
  ['sweep: duration', 's', (r) => r.finished.sweep?.durationMs],
  ['sweep: jobs deleted', 'n', (r) => r.finished.sweep?.deleted],
  ['sweep: longest stall (in process)', 'ms', (r) => r.finished.sweep?.stallMs],
  ["sweep: idle process's longest gap meanwhile", 'ms', (r) => r.finished.sweep?.noiseMs],
  ['sweep: held long polls woken, p50', 'ms', (r) => r.finished.sweep?.wakes.p50Ms],
  ['sweep: held long polls woken, p99', 'ms', (r) => r.finished.sweep?.wakes.p99Ms],
  ['sweep: held long polls woken, max', 'ms', (r) => r.finished.sweep?.wakes.maxMs],
  ['sweep: held long polls woken', 'n', (r) => r.finished.sweep?.wakes.count],
  ['sweep: held long poll errors', 'n', (r) => r.finished.sweep?.wakes.errors],
  ['sweep: /healthz p99', 'ms', (r) => r.finished.sweep?.healthz.p99Ms],
  ['sweep: /healthz max', 'ms', (r) => r.finished.sweep?.healthz.maxMs],
  ['sweep: SQLite file before', 'B', (r) => r.finished.sweep?.fileBytesBefore],
  ['sweep: SQLite file after', 'B', (r) => r.finished.sweep?.fileBytesAfter],
  ['sweep: SQLite WAL peak', 'B', (r) => r.finished.sweep?.walBytesPeak],
  ['sweep: SQLite WAL after', 'B', (r) => r.finished.sweep?.walBytesAfter],
  ['sweep: SQLite file once the log is copied', 'B', (r) => r.finished.sweep?.fileBytesSettled],
  ['sweep: SQLite WAL once the log is copied', 'B', (r) => r.finished.sweep?.walBytesSettled],
];

/** One Markdown table per store: a column per size, each cell the range over its runs. */
export function rangeTables(reports: readonly StoreReport[]): string {
  const out: string[] = [];
  for (const store of [...new Set(reports.map((r) => r.store))]) {
    const mine = reports.filter((r) => r.store === store);
    const sizes = [...new Set(mine.map((r) => r.jobs))].sort((a, b) => a - b);
    const runs = sizes.map((jobs) => mine.filter((r) => r.jobs === jobs));
    const header = runs.map(
      (rs, i) =>
        `${sizes[i]!.toLocaleString('en')} jobs (${rs.length} run${rs.length > 1 ? 's' : ''})`,
    );
    out.push(
      `| ${store}: range over runs | ${header.join(' | ')} |`,
      `|---|${sizes.map(() => '---').join('|')}|`,
    );
    for (const [label, unit, value] of FIGURES) {
      const cells = runs.map((rs) => {
        const of = (get: (r: StoreReport) => number | undefined) => rs.map((r) => get(r) ?? NaN);
        if (Array.isArray(value)) return ranges(value.map(of), 'ms');
        if (!label.endsWith('runs that started')) return range(of(value), unit);
        const asked = of(value).filter(Number.isFinite);
        return asked.length ? `${asked.reduce((a, b) => a + b, 0)} of ${asked.length}` : '–';
      });
      if (cells.every((c) => c.replace(/[–/ ms]/g, '') === '')) continue;
      out.push(`| ${label} | ${cells.join(' | ')} |`);
    }
    const errors = runs.map((rs) => rs.flatMap((r) => r.errors).join('; ') || '–');
    out.push(`| steps that failed | ${errors.join(' | ')} |`, '');
  }
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    process.stderr.write('usage: npx tsx bench/growth/ranges.ts RUN.json [RUN.json…]\n');
    process.exit(2);
  }
  const reports = files.flatMap((f) => JSON.parse(readFileSync(f, 'utf8')) as StoreReport[]);
  process.stdout.write(`${rangeTables(reports)}\n`);
}
