/**
 * One job's detail in a modal dialog: its fields, the changes this page saw on the event stream,
 * and its webhook deliveries. Updated live while open; focus returns to the row when it closes.
 */
import type { Api } from './api.js';
import { ApiError } from './api.js';
import { byId, h, replaceChildren } from './dom.js';
import { formatClock, formatEta, formatPercent, formatStage } from './format.js';
import type { JobStore } from './job-store.js';

const DELIVERY_FIELDS = [
  'event',
  'type',
  'status',
  'attempt',
  'attempts',
  'response_status',
  'status_code',
  'error',
  'created_at',
  'delivered_at',
  'next_attempt_at',
  'url',
];

export class JobDetail {
  readonly #dialog = byId('job-detail', HTMLDialogElement);
  readonly #title = byId('detail-title', HTMLElement);
  readonly #fields = byId('detail-fields', HTMLElement);
  readonly #history = byId('detail-history', HTMLElement);
  readonly #deliveries = byId('detail-deliveries', HTMLElement);
  #openId: string | undefined;

  constructor(
    private readonly store: JobStore,
    private readonly api: Api,
    private readonly onClosed: (id: string) => void,
  ) {
    byId('detail-close', HTMLButtonElement).addEventListener('click', () => this.#dialog.close());
    this.#dialog.addEventListener('close', () => {
      const id = this.#openId;
      this.#openId = undefined;
      if (id) this.onClosed(id);
    });
    store.subscribe((job) => {
      if (job.id === this.#openId) this.#render();
    });
  }

  open(id: string): void {
    this.#openId = id;
    this.#render();
    replaceChildren(this.#deliveries, h('p', { class: 'muted' }, 'Loading deliveries…'));
    if (!this.#dialog.open) this.#dialog.showModal();
    void this.#loadDeliveries(id);
  }

  #render(): void {
    const tracked = this.#openId ? this.store.get(this.#openId) : undefined;
    if (!tracked) return;
    const { job, history } = tracked;
    this.#title.textContent = job.id;
    const now = Date.now();
    const row = (name: string, value: Node | string) => [h('dt', {}, name), h('dd', {}, value)];
    replaceChildren(
      this.#fields,
      ...row('Status', h('span', { class: `badge status-${job.status}` }, job.status)),
      ...row('Stage', formatStage(job.stage)),
      ...row('Progress', formatPercent(job.progress)),
      ...row('Language', job.target_language ?? '—'),
      ...row('Source', job.source_url ?? '—'),
      ...row('Created', formatClock(job.created_at)),
      ...row('ETA', job.eta ? `${formatClock(job.eta)} (${formatEta(job.eta, now)})` : '—'),
      ...row('Finished', job.completed_at ? formatClock(job.completed_at) : '—'),
      ...(job.error ? row('Error', `${job.error.code}: ${job.error.message}`) : []),
      ...(job.result
        ? row('Result', h('span', { class: 'mono break' }, job.result.video_url))
        : []),
      ...row('Version', String(job.version)),
    );
    replaceChildren(
      this.#history,
      ...history.map((e) =>
        h(
          'li',
          {},
          h(
            'time',
            { class: 'mono', datetime: new Date(e.seenAt).toISOString() },
            formatClock(e.seenAt),
          ),
          ' ',
          h('span', { class: 'event-type' }, e.type),
          ` — ${e.status}${e.stage ? `, ${formatStage(e.stage)}` : ''}, ${formatPercent(e.progress)}`,
        ),
      ),
    );
  }

  async #loadDeliveries(id: string): Promise<void> {
    let content: Node;
    try {
      const list = await this.api.deliveries(id);
      content =
        list.length === 0
          ? h('p', { class: 'muted' }, 'No deliveries.')
          : h(
              'ol',
              { class: 'deliveries' },
              ...list.map((d) =>
                h(
                  'li',
                  {},
                  ...DELIVERY_FIELDS.filter((f) => d[f] !== undefined && d[f] !== null).map((f) =>
                    h(
                      'span',
                      { class: 'kv' },
                      h('span', { class: 'muted' }, `${f} `),
                      formatValue(d[f]),
                    ),
                  ),
                ),
              ),
            );
    } catch (err) {
      content = h(
        'p',
        { class: 'error-text' },
        `Could not load deliveries: ${err instanceof ApiError ? err.message : String(err)}`,
      );
    }
    if (this.#openId === id) replaceChildren(this.#deliveries, content);
  }
}

function formatValue(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  return JSON.stringify(value);
}
