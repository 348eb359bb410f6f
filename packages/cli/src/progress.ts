/**
 * Progress of a wait on stderr: a live bar with stage and ETA on a terminal, one plain line per
 * change otherwise (logs, CI), nothing with `--json`.
 */
import type { Job, UpdateInfo } from '@vtrans/client';
import { formatDuration, formatEta, formatState, statusStyle } from './format.js';
import type { Io } from './io.js';

/** How often the bar is redrawn between updates (progress is extrapolated meanwhile). */
const REDRAW_INTERVAL_MS = 200;
const BAR_WIDTH = 24;
/** A pending job never shows 100 %: the finish may come later than the ETA. */
const MAX_PENDING_PROGRESS = 0.99;
const CLEAR_LINE = '\r\x1b[2K';

/** Receives each change of the job being waited on. */
export interface ProgressReporter {
  update(job: Job, info?: UpdateInfo): void;
  /** Writes a line to stdout without tearing the bar. */
  printOut(line: string): void;
  /** Removes the bar and stops redrawing. */
  stop(): void;
}

/**
 * Extrapolates a pending job's progress from its last reading: the server's progress grows
 * linearly with time, and `eta − created_at` is the mean duration (differences of server
 * timestamps, so clock skew does not matter).
 */
export function estimateProgress(job: Job, observedAtMs: number, nowMs: number): number {
  if (job.status === 'completed') return 1;
  if (job.status !== 'pending' || job.eta === null) return job.progress;
  const meanMs = Date.parse(job.eta) - Date.parse(job.created_at);
  if (!Number.isFinite(meanMs) || meanMs <= 0) return job.progress;
  const estimate = job.progress + Math.max(0, nowMs - observedAtMs) / meanMs;
  return Math.min(MAX_PENDING_PROGRESS, Math.max(job.progress, estimate));
}

/** `[██████░░░░]  42%  translating  ETA ~6.0s` */
export function renderBar(job: Job, progress: number, nowMs: number, io: Io): string {
  const filled = Math.round(progress * BAR_WIDTH);
  const bar = '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
  const percent = `${String(Math.floor(progress * 100)).padStart(3)}%`;
  const label =
    job.status === 'pending'
      ? (job.stage ?? 'pending')
      : io.paintErr(statusStyle(job.status), job.status);
  const eta = formatEta(job, nowMs);
  return [`[${io.paintErr('cyan', bar)}]`, percent, label, eta === undefined ? '' : `ETA ${eta}`]
    .filter(Boolean)
    .join('  ');
}

/** `+1.2s  job_…  pending  translating  45%  ETA ~3.0s  (request 2, long-poll)` */
export function renderPlainLine(job: Job, elapsedMs: number, nowMs: number, info?: UpdateInfo) {
  const via = info === undefined ? '' : `  (request ${info.attempt}, ${info.transport})`;
  return `+${formatDuration(elapsedMs)}  ${job.id}  ${formatState(job, nowMs)}${via}`;
}

export interface ProgressOptions {
  /** `bar` on a terminal, `lines` otherwise, `none` for `--json`. */
  mode: 'bar' | 'lines' | 'none';
  now?: () => number;
}

/** Picks the mode for stderr: a bar on a terminal, plain lines otherwise, nothing for `--json`. */
export function progressMode(io: Io, isJson: boolean): ProgressOptions['mode'] {
  if (isJson) return 'none';
  return io.isErrTty ? 'bar' : 'lines';
}

export function createProgressReporter(io: Io, options: ProgressOptions): ProgressReporter {
  const now = options.now ?? Date.now;
  const startedAtMs = now();
  let last: { job: Job; observedAtMs: number } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let isBarShown = false;
  let lastLineKey: string | undefined;
  /**
   * The most the bar has shown of this job. Between readings the bar runs ahead on the job's mean
   * rate; a reading behind that (a slower stage) must not pull it back: it waits there instead.
   */
  let shown = { jobId: '', progress: 0 };

  const draw = () => {
    if (last === undefined) return;
    const t = now();
    const floor = shown.jobId === last.job.id ? shown.progress : 0;
    const progress = Math.max(floor, estimateProgress(last.job, last.observedAtMs, t));
    shown = { jobId: last.job.id, progress };
    // A terminal that reports no width (0, as under `script`) gets the usual 80.
    const columns = io.stderr.columns || 80;
    let line = renderBar(last.job, progress, t, io);
    // Keep the bar on one line: a wrapped line cannot be redrawn with \r.
    if (stripAnsi(line).length >= columns) line = stripAnsi(line).slice(0, columns - 1);
    io.stderr.write(`${CLEAR_LINE}${line}`);
    isBarShown = true;
  };
  const clear = () => {
    if (isBarShown) io.stderr.write(CLEAR_LINE);
    isBarShown = false;
  };

  return {
    update(job, info) {
      const t = now();
      last = { job, observedAtMs: t };
      // Plain lines are for logs: a line per status or stage change, not per progress tick.
      const key = `${job.status}/${job.stage ?? ''}`;
      if (options.mode === 'lines' && key !== lastLineKey) {
        lastLineKey = key;
        io.err(renderPlainLine(job, t - startedAtMs, t, info));
      }
      if (options.mode !== 'bar') return;
      draw();
      if (job.status !== 'pending') {
        clearInterval(timer);
        timer = undefined;
      } else if (timer === undefined) {
        timer = setInterval(draw, REDRAW_INTERVAL_MS);
        timer.unref();
      }
    },
    printOut(line) {
      clear();
      io.out(line);
      if (options.mode === 'bar') draw();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
      clear();
    },
  };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}
