/** Human-readable renderings of jobs and durations (the `--json` output is the API's JSON). */
import type { Job } from '@vtrans/client';
import type { Io, Style } from './io.js';

/** `850ms`, `4.2s`, `3m 05s`, `2h 10m`. */
export function formatDuration(ms: number): string {
  const abs = Math.max(0, Math.round(ms));
  if (abs < 1000) return `${abs}ms`;
  if (abs < 60_000) return `${(abs / 1000).toFixed(1)}s`;
  const totalS = Math.round(abs / 1000);
  if (totalS < 3600) return `${Math.floor(totalS / 60)}m ${String(totalS % 60).padStart(2, '0')}s`;
  const totalM = Math.round(totalS / 60);
  return `${Math.floor(totalM / 60)}h ${String(totalM % 60).padStart(2, '0')}m`;
}

/** The colour a status is shown in. */
export function statusStyle(status: string): Style {
  switch (status) {
    case 'completed':
      return 'green';
    case 'error':
      return 'red';
    case 'canceled':
      return 'yellow';
    default:
      return 'cyan';
  }
}

/** `3s` until the ETA, or `any moment` once it has passed (the ETA is the mean, not a promise). */
export function formatEta(job: Job, nowMs: number): string | undefined {
  if (job.status !== 'pending' || job.eta === null) return undefined;
  const etaMs = Date.parse(job.eta);
  if (!Number.isFinite(etaMs)) return undefined;
  const leftMs = etaMs - nowMs;
  return leftMs > 0 ? `~${formatDuration(leftMs)}` : 'any moment';
}

/** `pending translating 45% ETA ~3.0s` — the one-line state of a job. */
export function formatState(job: Job, nowMs: number): string {
  const parts: string[] = [job.status];
  if (job.status === 'pending') {
    if (job.stage !== null) parts.push(job.stage);
    parts.push(`${Math.round(job.progress * 100)}%`);
    const eta = formatEta(job, nowMs);
    if (eta !== undefined) parts.push(`ETA ${eta}`);
  } else if (job.status === 'error' && job.error !== null) {
    parts.push(`${job.error.code}: ${job.error.message}`);
  } else if (job.status === 'completed' && job.result !== null) {
    parts.push(job.result.video_url);
  }
  return parts.join('  ');
}

/** Prints a job on stdout: its JSON with `--json`, a readable block otherwise. */
export function printJob(io: Io, job: Job, isJson: boolean): void {
  io.out(isJson ? JSON.stringify(job) : formatJob(job, io));
}

/** A multi-line description of a job for `get`, `create`, `cancel` and the end of `wait`. */
export function formatJob(job: Job, io: Io, nowMs = Date.now()): string {
  const rows: [string, string | null | undefined][] = [
    ['status', io.paintOut(statusStyle(job.status), job.status)],
    ['stage', job.stage],
    ['progress', job.status === 'pending' ? `${Math.round(job.progress * 100)}%` : undefined],
    ['eta', job.eta === null ? undefined : `${job.eta} (${formatEta(job, nowMs) ?? 'n/a'})`],
    ['language', job.target_language],
    ['source', job.source_url],
    ['created', job.created_at],
    ['finished', job.completed_at],
    ['took', took(job)],
    ['error', job.error === null ? undefined : `${job.error.code}: ${job.error.message}`],
    ['result', job.result?.video_url],
  ];
  const lines = [io.paintOut('bold', job.id)];
  for (const [label, value] of rows) {
    if (value !== null && value !== undefined) lines.push(`  ${label.padEnd(9)} ${value}`);
  }
  return lines.join('\n');
}

function took(job: Job): string | undefined {
  if (job.completed_at === null) return undefined;
  const ms = Date.parse(job.completed_at) - Date.parse(job.created_at);
  return Number.isFinite(ms) ? formatDuration(ms) : undefined;
}

/** A fixed-width table of jobs for `list`. */
export function formatJobTable(jobs: readonly Job[], io: Io): string {
  const header = ['ID', 'STATUS', 'STAGE', 'PROGRESS', 'LANG', 'CREATED'];
  const rows = jobs.map((job) => [
    job.id,
    job.status,
    job.stage ?? '-',
    `${Math.round(job.progress * 100)}%`,
    job.target_language ?? '-',
    job.created_at,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const render = (cells: string[], statusColumn: boolean) =>
    cells
      .map((cell, i) => {
        const padded = i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0);
        return statusColumn && i === 1 ? io.paintOut(statusStyle(cell), padded) : padded;
      })
      .join('  ');
  return [io.paintOut('bold', render(header, false)), ...rows.map((r) => render(r, true))].join(
    '\n',
  );
}
