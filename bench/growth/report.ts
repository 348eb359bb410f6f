/** Prints a growth run as a Markdown table: one column per store and size. */
import { DEPTHS, STATUS_FILTERS, type ListReport } from './lists.js';
import type { StoreReport } from './run.js';
import type { StartReport } from './servers.js';

const s = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(ms < 10_000 ? 2 : 1) : '–');
const ms = (n: number) => (Number.isFinite(n) ? String(Math.round(n)) : '–');
const bytes = (n: number) =>
  !Number.isFinite(n)
    ? '–'
    : n >= 1e9
      ? `${(n / 1e9).toFixed(2)} GB`
      : n >= 1e6
        ? `${(n / 1e6).toFixed(1)} MB`
        : `${Math.round(n)} B`;

function start(r: StartReport | undefined, jobs: number, catchUp: boolean): string[] {
  if (!r) return ['–', '–', '–'];
  if (!r.started) return [`**failed**: ${r.error ?? ''}`.slice(0, 120), '–', '–'];
  return [
    `live ${s(r.liveMs)} s / ready ${s(r.readyMs)} s`,
    `/healthz p99 ${ms(r.healthzWhileCatchingUp.p99Ms)} / max ${ms(r.healthzWhileCatchingUp.maxMs)} ms (${r.healthzWhileCatchingUp.count}); stall ${ms(r.stallMs)} ms (idle process: ${ms(r.noiseMs)} ms)`,
    catchUp
      ? `${r.terminalWrittenAtReady} of ${jobs} terminal events written at ready (${r.notReadyAnswers} × 503 before)`
      : `${r.notReadyAnswers} × 503 before ready`,
  ];
}

function worst(lists: ListReport | undefined): string {
  const entries = Object.entries(lists ?? {});
  if (entries.length === 0) return '–';
  const [name, w] = entries.reduce((a, b) => (b[1].p99Ms > a[1].p99Ms ? b : a));
  const stall = Math.max(...entries.map(([, v]) => v.stallMs));
  const noise = Math.max(...entries.map(([, v]) => v.noiseMs));
  return `${ms(w.p99Ms)} ms (${name}); stall ${ms(stall)} ms (idle process: ${ms(noise)} ms)`;
}

function listRows(label: string, lists: ListReport | undefined): [string, string][] {
  const rows: [string, string][] = [[`${label}: worst p99`, worst(lists)]];
  for (const status of STATUS_FILTERS) {
    const cells = DEPTHS.map(([d]) => lists?.[`${status} ${d}`]);
    if (cells.every((c) => c === undefined)) continue;
    rows.push([
      `${label}: status=${status}, p99 at first / 50 % / 99 %`,
      cells.map((c) => (c ? ms(c.p99Ms) : '–')).join(' / ') + ' ms',
    ]);
  }
  return rows;
}

export function table(reports: readonly StoreReport[]): string {
  const rows = new Map<string, string[]>();
  const add = (label: string, i: number, value: string) => {
    const row = rows.get(label) ?? Array<string>(reports.length).fill('');
    row[i] = value;
    rows.set(label, row);
  };
  reports.forEach((r, i) => {
    add(
      'populate: pending / finished / finished-while-down',
      i,
      [r.pending.populateMs, r.finished.populateMs, r.finishedWhileDown.populateMs]
        .map(s)
        .join(' / ') + ' s',
    );
    const [pa = '', pb = '', pc = ''] = start(r.pending.start, r.jobs, false);
    add('restart, all jobs pending: to /healthz, to /readyz', i, pa);
    add('restart, all jobs pending: while not ready', i, `${pb}; ${pc}`);
    const [da = '', db = '', dc = ''] = start(r.finishedWhileDown.start, r.jobs, true);
    add('restart, all finished while down: to /healthz, to /readyz', i, da);
    add('restart, all finished while down: while not ready', i, db);
    add('restart, all finished while down: caught up', i, dc);
    add('heap of a server on an empty store', i, bytes(r.emptyHeapBytes ?? NaN));
    add('heap per pending job', i, bytes(r.pending.heapPerJobBytes ?? NaN));
    add(
      'storage per finished job',
      i,
      `${bytes(r.finished.storagePerJobBytes ?? NaN)} (${r.finished.storage})`,
    );
    const loading = r.pending.listsWhileLoading;
    if (loading)
      add(
        'lists, pending jobs, right after the start while the scheduler reads them',
        i,
        `p50 ${ms(loading.p50Ms)} / p99 ${ms(loading.p99Ms)} / max ${ms(loading.maxMs)} ms (${loading.count}); stall ${ms(loading.stallMs)} ms (idle process: ${ms(loading.noiseMs)} ms); all read after ${s(loading.loadedAfterMs)} s`,
      );
    for (const [label, value] of [
      ...listRows('lists, finished jobs', r.finished.lists),
      ...listRows('lists, pending jobs', r.pending.lists),
    ])
      add(label, i, value);
    const w = r.finished.sweep;
    add('failed', i, r.errors.join('; ') || '–');
    if (!w) return;
    add('sweep of every finished job: duration, deleted', i, `${s(w.durationMs)} s, ${w.deleted}`);
    add(
      'sweep: longest stall (in process)',
      i,
      `${ms(w.stallMs)} ms (idle process: ${ms(w.noiseMs)} ms)`,
    );
    add(
      'sweep: held long polls woken, p50 / p99 / max',
      i,
      `${ms(w.wakes.p50Ms)} / ${ms(w.wakes.p99Ms)} / ${ms(w.wakes.maxMs)} ms (${w.wakes.count} woken, ${w.wakes.errors} errors)`,
    );
    add(
      'sweep: /healthz p99 / max',
      i,
      `${ms(w.healthz.p99Ms)} / ${ms(w.healthz.maxMs)} ms (${w.healthz.count})`,
    );
    if (r.store === 'sqlite')
      add(
        'sweep: file before → after; WAL peak → after',
        i,
        `${bytes(w.fileBytesBefore)} → ${bytes(w.fileBytesAfter)}; ${bytes(w.walBytesPeak)} → ${bytes(w.walBytesAfter)}`,
      );
    if (r.store === 'sqlite' && w.fileBytesSettled !== undefined)
      add(
        'sweep: file; WAL once the log is copied',
        i,
        `${bytes(w.fileBytesSettled)}; ${bytes(w.walBytesSettled ?? NaN)}`,
      );
  });
  const header = `| measure | ${reports.map((r) => `${r.store}, ${r.jobs.toLocaleString('en')} jobs`).join(' | ')} |`;
  const lines = [header, `|---|${reports.map(() => '---').join('|')}|`];
  for (const [label, cells] of rows) lines.push(`| ${label} | ${cells.join(' | ')} |`);
  return lines.join('\n');
}
