/**
 * The live jobs table. Rows are created once and updated in place (no re-render of the table), kept
 * newest first, filtered by hiding rows, and capped so a long session stays fast.
 */
import { h, replaceChildren } from './dom.js';
import { formatAge, formatEta, formatPercent, formatStage } from './format.js';
import { isTerminal, type Job, type JobStatus } from './types.js';

/** Where each stage starts, as a fraction of the job (mirrors the server's simulator). */
const STAGE_STARTS: Record<string, number> = {
  queued: 0,
  transcribing: 0.05,
  translating: 0.25,
  voicing: 0.45,
  lip_syncing: 0.65,
  rendering: 0.85,
};
const NEXT_STAGE_START: Record<string, number> = {
  queued: 0.05,
  transcribing: 0.25,
  translating: 0.45,
  voicing: 0.65,
  lip_syncing: 0.85,
  rendering: 0.99,
};
const MAX_ROWS = 500;

export interface JobsTableOptions {
  onOpen: (id: string) => void;
  onCancel: (id: string) => void;
  /** A row was dropped to keep the table small. */
  onDrop?: (id: string) => void;
}

interface Row {
  job: Job;
  tr: HTMLTableRowElement;
  status: HTMLSpanElement;
  stage: HTMLTableCellElement;
  bar: HTMLProgressElement;
  pct: HTMLSpanElement;
  eta: HTMLTableCellElement;
  age: HTMLTableCellElement;
  cancel: HTMLButtonElement;
}

/**
 * Progress shown between stage events: the server reports progress at each stage change; in
 * between, move along the mean duration, never past where the next stage (not yet seen) starts.
 */
export function displayedProgress(job: Job, now: number): number {
  if (job.status !== 'pending') return job.progress;
  const created = Date.parse(job.created_at);
  const eta = job.eta ? Date.parse(job.eta) : NaN;
  const ceiling = NEXT_STAGE_START[job.stage ?? ''] ?? 0.99;
  const floor = Math.max(job.progress, STAGE_STARTS[job.stage ?? ''] ?? 0);
  if (!Number.isFinite(eta) || eta <= created) return floor;
  const estimate = (now - created) / (eta - created);
  return Math.max(floor, Math.min(ceiling, estimate));
}

export class JobsTable {
  readonly #rows = new Map<string, Row>();
  readonly #tbody: HTMLTableSectionElement;
  readonly #empty: HTMLTableRowElement;
  readonly #count: HTMLElement;
  #filter: JobStatus | '' = '';

  constructor(
    tbody: HTMLTableSectionElement,
    count: HTMLElement,
    private readonly options: JobsTableOptions,
  ) {
    this.#tbody = tbody;
    this.#count = count;
    this.#empty = h(
      'tr',
      { class: 'empty' },
      h('td', { colspan: 8 }, 'No jobs yet. Create one with the form.'),
    );
    this.#refreshEmpty();
  }

  get filter(): JobStatus | '' {
    return this.#filter;
  }

  setFilter(status: JobStatus | ''): void {
    this.#filter = status;
    for (const row of this.#rows.values()) row.tr.hidden = !this.#matches(row.job);
    this.#refreshEmpty();
  }

  upsert(job: Job, now = Date.now()): void {
    let row = this.#rows.get(job.id);
    if (!row) {
      row = this.#createRow(job);
      this.#rows.set(job.id, row);
      this.#insertSorted(row);
      this.#trim();
    }
    row.job = job;
    row.tr.dataset.status = job.status;
    row.status.className = `badge status-${job.status}`;
    row.status.textContent = job.status;
    row.stage.textContent = formatStage(job.stage);
    const cancelable = job.status === 'pending';
    // Hiding a focused button would drop keyboard focus to the page: keep it in the row, on its id.
    // (The change may come from the event stream before the answer to the user's own cancel.)
    if (!cancelable && row.cancel === document.activeElement) this.focusRow(job.id);
    row.cancel.hidden = !cancelable;
    row.tr.hidden = !this.#matches(job);
    this.#tickRow(row, now);
    this.#refreshEmpty();
  }

  /** Removes every row. */
  clear(): void {
    for (const row of this.#rows.values()) row.tr.remove();
    this.#rows.clear();
    this.#refreshEmpty();
  }

  /** Moves ages, ETAs and progress along; no request is made. */
  tick(now = Date.now()): void {
    for (const row of this.#rows.values()) if (!row.tr.hidden) this.#tickRow(row, now);
  }

  /** Puts keyboard focus back on a row's detail button (after a dialog closes). */
  focusRow(id: string): void {
    this.#rows.get(id)?.tr.querySelector('button')?.focus();
  }

  #tickRow(row: Row, now: number): void {
    const p = displayedProgress(row.job, now);
    row.bar.value = Math.round(p * 1000) / 10;
    row.pct.textContent = formatPercent(p);
    row.eta.textContent = row.job.status === 'pending' ? formatEta(row.job.eta, now) : '—';
    row.age.textContent = formatAge(row.job.created_at, now);
  }

  #matches(job: Job): boolean {
    return this.#filter === '' || job.status === this.#filter;
  }

  #createRow(job: Job): Row {
    const status = h('span', { class: 'badge' });
    const stage = h('td', { 'data-label': 'Stage' });
    const bar = h('progress', { max: 100, value: 0, 'aria-label': `Progress of ${job.id}` });
    const pct = h('span', { class: 'pct', 'aria-hidden': 'true' });
    const eta = h('td', { 'data-label': 'ETA', class: 'num' });
    const age = h('td', { 'data-label': 'Age', class: 'num' });
    const cancel = h(
      'button',
      {
        type: 'button',
        class: 'btn btn-small btn-danger',
        'aria-label': `Cancel job ${job.id}`,
        onclick: () => this.options.onCancel(job.id),
      },
      'Cancel',
    );
    const open = h(
      'button',
      {
        type: 'button',
        class: 'link mono',
        title: 'Show details',
        onclick: () => this.options.onOpen(job.id),
      },
      job.id,
    );
    const tr = h(
      'tr',
      { 'data-id': job.id },
      h('th', { scope: 'row', 'data-label': 'Job' }, open),
      h('td', { 'data-label': 'Language' }, job.target_language ?? '—'),
      h('td', { 'data-label': 'Status' }, status),
      stage,
      h('td', { 'data-label': 'Progress' }, h('div', { class: 'progress-cell' }, bar, pct)),
      eta,
      age,
      h('td', { class: 'actions' }, cancel),
    );
    return { job, tr, status, stage, bar, pct, eta, age, cancel };
  }

  #insertSorted(row: Row): void {
    const key = row.job.created_at + row.job.id;
    for (const el of this.#tbody.children) {
      const id = (el as HTMLElement).dataset.id;
      const other = id ? this.#rows.get(id) : undefined;
      if (other && other !== row && other.job.created_at + other.job.id < key) {
        el.before(row.tr);
        return;
      }
    }
    if (this.#empty.isConnected) this.#empty.before(row.tr);
    else this.#tbody.append(row.tr);
  }

  /** Drops the oldest finished rows past the cap; pending ones stay visible. */
  #trim(): void {
    if (this.#rows.size <= MAX_ROWS) return;
    const rows = [...this.#tbody.children].reverse();
    for (const el of rows) {
      if (this.#rows.size <= MAX_ROWS) break;
      const id = (el as HTMLElement).dataset.id;
      const row = id ? this.#rows.get(id) : undefined;
      if (row && isTerminal(row.job.status)) {
        row.tr.remove();
        this.#rows.delete(row.job.id);
        this.options.onDrop?.(row.job.id);
      }
    }
  }

  #refreshEmpty(): void {
    let visible = 0;
    for (const row of this.#rows.values()) if (!row.tr.hidden) visible++;
    const total = this.#rows.size;
    this.#count.textContent =
      this.#filter === ''
        ? `${total} job${total === 1 ? '' : 's'}`
        : `${visible} of ${total} job${total === 1 ? '' : 's'} (${this.#filter})`;
    if (visible === 0) {
      replaceChildren(
        this.#empty.firstElementChild as HTMLElement,
        this.#filter === '' ? 'No jobs yet. Create one with the form.' : `No ${this.#filter} jobs.`,
      );
      if (!this.#empty.isConnected) this.#tbody.append(this.#empty);
    } else this.#empty.remove();
  }
}
