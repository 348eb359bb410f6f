/**
 * The dashboard: wires the API, the event stream, the jobs table, the detail dialog, the chart and
 * the forms. Jobs are loaded once, then kept current from `GET /v1/events` — the page never polls.
 */
import { Api, ApiError } from './api.js';
import { ThroughputChart } from './chart.js';
import { byId, h, replaceChildren } from './dom.js';
import { EventStream, type SseEvent, type StreamState } from './event-stream.js';
import { formatDuration, formatPercent } from './format.js';
import { JobDetail } from './job-detail.js';
import { JobStore } from './job-store.js';
import { JobsTable } from './jobs-table.js';
import {
  isTerminal,
  STATUSES,
  type CreateJobInput,
  type Job,
  type JobStatus,
  type Settings,
} from './types.js';

const KEY_STORAGE = 'vtrans.apiKey';
const STATS_MINUTES = 15;
const TICK_MS = 1000;
const MIN_IDLE_TIMEOUT_MS = 5000;

const readKey = (): string | null => {
  try {
    return sessionStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
};
const writeKey = (key: string | null): void => {
  try {
    if (key) sessionStorage.setItem(KEY_STORAGE, key);
    else sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    // Storage disabled: the key lives as long as the page.
  }
};
let memoryKey = readKey();

const el = {
  conn: byId('conn', HTMLElement),
  banner: byId('page-error', HTMLElement),
  announcer: byId('announcer', HTMLElement),
  filter: byId('status-filter', HTMLSelectElement),
  createForm: byId('create-form', HTMLFormElement),
  createStatus: byId('create-status', HTMLElement),
  lang: byId('lang', HTMLInputElement),
  duration: byId('duration', HTMLInputElement),
  outcome: byId('outcome', HTMLSelectElement),
  settings: byId('settings', HTMLElement),
  keyDialog: byId('key-dialog', HTMLDialogElement),
  keyForm: byId('key-form', HTMLFormElement),
  keyInput: byId('key-input', HTMLInputElement),
  keyReason: byId('key-reason', HTMLElement),
  loadMore: byId('load-more', HTMLButtonElement),
};

const api = new Api({
  base: new URL('.', location.href),
  apiKey: () => memoryKey,
  onUnauthorized: () => askForKey('This server needs an API key.'),
});
const store = new JobStore();
const table = new JobsTable(
  byId('jobs-body', HTMLTableSectionElement),
  byId('job-count', HTMLElement),
  {
    onOpen: (id) => detail.open(id),
    onCancel: (id) => void cancel(id),
    onDrop: (id) => store.forget(id),
  },
);
const detail = new JobDetail(store, api, (id) => table.focusRow(id));
const chart = new ThroughputChart(
  byId('chart', HTMLElement),
  byId('chart-legend', HTMLElement),
  STATS_MINUTES,
);

const OUTCOME_WORDS: Record<string, string> = {
  completed: 'completed',
  error: 'failed',
  canceled: 'was canceled',
};

store.subscribe((job, previous) => {
  table.upsert(job);
  if (previous && previous.status !== job.status && isTerminal(job.status)) {
    announce(`Job ${job.id} ${OUTCOME_WORDS[job.status] ?? job.status}.`);
  }
});

function announce(text: string): void {
  el.announcer.textContent = text;
}

function showError(err: unknown): void {
  if (err instanceof ApiError && err.status === 401) return;
  el.banner.textContent = err instanceof Error ? err.message : String(err);
  el.banner.hidden = false;
}

function clearError(): void {
  el.banner.hidden = true;
  el.banner.textContent = '';
}

function isJob(value: unknown): value is Job {
  if (!value || typeof value !== 'object') return false;
  const j = value as Partial<Job>;
  return typeof j.id === 'string' && typeof j.status === 'string' && typeof j.version === 'number';
}

function onEvent(event: SseEvent): void {
  if (!event.event.startsWith('job.')) return;
  let data: unknown;
  try {
    data = JSON.parse(event.data);
  } catch {
    return;
  }
  if (!isJob(data)) return;
  store.upsert(data, event.event);
  chart.count(event.event, data);
}

function onState(state: StreamState): void {
  el.conn.dataset.state = state.kind;
  el.conn.textContent =
    state.kind === 'live'
      ? 'Live'
      : state.kind === 'connecting'
        ? 'Connecting…'
        : state.kind === 'reconnecting'
          ? `Reconnecting in ${Math.max(1, Math.round(state.inMs / 1000))} s`
          : state.kind === 'unauthorized'
            ? 'Needs an API key'
            : 'Stopped';
  if (state.kind === 'unauthorized') askForKey('This server needs an API key.');
}

const stream = new EventStream({
  url: api.url('v1/events'),
  headers: () => api.authHeaders(),
  onEvent,
  onState,
  onGap: () => void loadAll(),
});

/** Where "Show older jobs" continues, for the filter it was loaded with. */
let older: { status: JobStatus | undefined; cursor: string } | undefined;

async function loadJobs(status?: JobStatus, cursor?: string): Promise<void> {
  const page = await api.listJobs(status, cursor);
  for (const job of page.data) store.upsert(job, 'loaded');
  older = page.next_cursor ? { status, cursor: page.next_cursor } : undefined;
  el.loadMore.hidden = older === undefined;
}

async function loadStats(): Promise<void> {
  chart.load(await api.stats(STATS_MINUTES));
}

async function loadSettings(): Promise<void> {
  const settings = await api.settings();
  renderSettings(settings);
  // Three missed heartbeats mean the connection is dead, whatever proxies in between think.
  stream.setIdleTimeout(Math.max(MIN_IDLE_TIMEOUT_MS, 3 * settings.sse_heartbeat_ms));
}

async function loadAll(): Promise<void> {
  const results = await Promise.allSettled([
    loadJobs(el.filter.value ? (el.filter.value as JobStatus) : undefined),
    loadStats(),
    loadSettings(),
  ]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) showError(failed.reason);
  else clearError();
}

function renderSettings(s: Settings): void {
  const rows: [string, string][] = [
    ['Mean duration', formatDuration(s.translation_delay_ms)],
    ['Jitter', `± ${formatPercent(s.translation_delay_jitter)}`],
    ['Error probability', formatPercent(s.error_probability)],
    ['Random choices', s.seeded ? 'seeded (reproducible)' : 'random'],
    ['Store', s.store],
    ['Retention', formatDuration(s.retention_ms)],
    ['Max held requests', s.max_waiters.toLocaleString('en')],
    ['Longest hold', `${s.max_wait_s} s`],
    ['Heartbeat', formatDuration(s.sse_heartbeat_ms)],
  ];
  replaceChildren(
    el.settings,
    ...rows.map(([name, value]) => h('div', {}, h('dt', {}, name), h('dd', {}, value))),
  );
}

async function cancel(id: string): Promise<void> {
  try {
    store.upsert(await api.cancelJob(id), 'canceled here');
    // The Cancel button is gone now: keep keyboard focus in the row rather than lose it.
    if (document.activeElement === document.body) table.focusRow(id);
  } catch (err) {
    if (err instanceof ApiError && err.status === 409) {
      announce(`Job ${id} had already finished.`);
      return;
    }
    showError(err);
  }
}

el.createForm.addEventListener('submit', (e) => {
  e.preventDefault();
  if (!el.createForm.reportValidity()) return;
  const input: CreateJobInput = { target_language: el.lang.value.trim() };
  const simulate: NonNullable<CreateJobInput['simulate']> = {};
  if (el.duration.value !== '') simulate.duration_ms = Math.round(Number(el.duration.value) * 1000);
  if (el.outcome.value === 'completed' || el.outcome.value === 'error')
    simulate.outcome = el.outcome.value;
  if (Object.keys(simulate).length > 0) input.simulate = simulate;
  const submit = el.createForm.querySelector('button[type="submit"]');
  if (submit instanceof HTMLButtonElement) submit.disabled = true;
  el.createStatus.textContent = 'Creating…';
  api
    .createJob(input)
    .then((job) => {
      store.upsert(job, 'created here');
      el.createStatus.textContent = `Created ${job.id}.`;
    })
    .catch((err: unknown) => {
      el.createStatus.textContent =
        err instanceof ApiError && err.status === 401
          ? 'An API key is needed.'
          : `Not created: ${err instanceof Error ? err.message : String(err)}`;
    })
    .finally(() => {
      if (submit instanceof HTMLButtonElement) submit.disabled = false;
    });
});

el.filter.replaceChildren(
  h('option', { value: '' }, 'All'),
  ...STATUSES.map((s) => h('option', { value: s }, s)),
);
el.filter.addEventListener('change', () => {
  const status = el.filter.value ? (el.filter.value as JobStatus) : '';
  table.setFilter(status);
  // Older jobs of that status may not be on the page yet; "Show older" follows this filter now.
  loadJobs(status || undefined).catch(showError);
});

el.loadMore.addEventListener('click', () => {
  if (!older) return;
  el.loadMore.disabled = true;
  loadJobs(older.status, older.cursor)
    .catch(showError)
    .finally(() => {
      el.loadMore.disabled = false;
    });
});

function askForKey(reason: string): void {
  if (el.keyDialog.open) return;
  el.keyReason.textContent = `${reason} It is kept in this tab's session storage and sent as a Bearer token.`;
  el.keyInput.value = memoryKey ?? '';
  el.keyDialog.showModal();
}

byId('key-button', HTMLButtonElement).addEventListener('click', () =>
  askForKey('Enter the API key for this server.'),
);
byId('key-cancel', HTMLButtonElement).addEventListener('click', () => el.keyDialog.close());
byId('key-forget', HTMLButtonElement).addEventListener('click', () => useKey(null));
el.keyForm.addEventListener('submit', (e) => {
  e.preventDefault();
  useKey(el.keyInput.value.trim() || null);
});

/** Switches keys. Another key may be another tenant: start over rather than mix their jobs. */
function useKey(key: string | null): void {
  el.keyDialog.close();
  const changed = key !== memoryKey;
  memoryKey = key;
  writeKey(key);
  if (changed) {
    detail.close();
    table.clear();
    store.clear();
  }
  restart(changed);
}

function restart(fresh = true): void {
  clearError();
  stream.start(fresh);
  void loadAll();
}

window.addEventListener('online', () => stream.retryNow());
setInterval(() => {
  if (document.hidden) return;
  const now = Date.now();
  table.tick(now);
  chart.tick(now);
}, TICK_MS);

// The stream opens first so that nothing that changes while the list loads is missed.
restart();
