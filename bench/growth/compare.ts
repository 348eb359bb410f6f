/**
 * Before and after: `npx tsx bench/growth/compare.ts BEFORE.json AFTER.json` prints, for each
 * store and size in both reports (`index.ts --json`), the figures the growth work set targets for,
 * side by side.
 */
import { readFileSync } from 'node:fs';
import type { ListReport } from './lists.js';
import type { StoreReport } from './run.js';
import type { StartReport } from './servers.js';

const [beforeFile, afterFile] = process.argv.slice(2);
if (!beforeFile || !afterFile) {
  process.stderr.write('usage: npx tsx bench/growth/compare.ts BEFORE.json AFTER.json\n');
  process.exit(2);
}
const load = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as StoreReport[];

const ms = (n: number | undefined) =>
  n === undefined || !Number.isFinite(n) ? '–' : `${Math.round(n)} ms`;
const s = (n: number | undefined) =>
  n === undefined || !Number.isFinite(n) ? '–' : `${(n / 1000).toFixed(n < 10_000 ? 2 : 1)} s`;
const bytes = (n: number | undefined) =>
  n === undefined || !Number.isFinite(n)
    ? '–'
    : n >= 1e9
      ? `${(n / 1e9).toFixed(2)} GB`
      : n >= 1e6
        ? `${(n / 1e6).toFixed(0)} MB`
        : `${Math.round(n)} B`;

function worstList(lists: ListReport | undefined): string {
  const entries = Object.entries(lists ?? {});
  if (entries.length === 0) return '–';
  const [name, worst] = entries.reduce((a, b) => (b[1].p99Ms > a[1].p99Ms ? b : a));
  return `${ms(worst.p99Ms)} (${name})`;
}

function start(r: StartReport | undefined): string {
  if (!r) return '–';
  if (!r.started) return `fails: ${(r.error ?? '').slice(0, 60)}`;
  return `live ${s(r.liveMs)}, ready ${s(r.readyMs)}`;
}

function rows(r: StoreReport): [string, string][] {
  const w = r.finished.sweep;
  const down = r.finishedWhileDown.start;
  return [
    ['restart with every job pending: spawn to /healthz, to /readyz', start(r.pending.start)],
    ['restart after every job finished while down: the same', start(down)],
    [
      '… /healthz between live and ready, max; longest stall',
      down?.started
        ? `${ms(down.healthzWhileCatchingUp.maxMs)}; ${ms(down.stallMs)} (idle process ${ms(down.noiseMs)})`
        : '–',
    ],
    ['list p99, worst query (finished jobs)', worstList(r.finished.lists)],
    ['list p99, worst query (pending jobs)', worstList(r.pending.lists)],
    ['heap per pending job', bytes(r.pending.heapPerJobBytes)],
    [`storage per finished job (${r.finished.storage})`, bytes(r.finished.storagePerJobBytes)],
    ['sweep of every finished job: duration', s(w?.durationMs)],
    ['… longest stall in the server', w ? `${ms(w.stallMs)} (idle process ${ms(w.noiseMs)})` : '–'],
    ['… held long polls woken, p99', ms(w?.wakes.p99Ms)],
    ['… /healthz max', ms(w?.healthz.maxMs)],
    ...(r.store === 'sqlite'
      ? ([
          ['… WAL peak', bytes(w?.walBytesPeak)],
          [
            '… file before → after',
            w ? `${bytes(w.fileBytesBefore)} → ${bytes(w.fileBytesAfter)}` : '–',
          ],
        ] as [string, string][])
      : []),
    ['steps that failed', r.errors.length ? r.errors.join('; ').slice(0, 120) : '–'],
  ];
}

const before = load(beforeFile);
const after = load(afterFile);
for (const b of before) {
  const a = after.find((x) => x.store === b.store && x.jobs === b.jobs);
  if (!a) continue;
  const out = [
    `**${b.store}, ${b.jobs.toLocaleString('en')} jobs**`,
    '',
    '| measure | before | after |',
    '|---|---|---|',
  ];
  const afterRows = new Map(rows(a));
  for (const [label, value] of rows(b))
    out.push(`| ${label} | ${value} | ${afterRows.get(label) ?? '–'} |`);
  process.stdout.write(`${out.join('\n')}\n\n`);
}
