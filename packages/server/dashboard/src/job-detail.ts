/**
 * One job's detail in a modal dialog: its fields, the changes this page saw on the event stream,
 * and its webhook deliveries. Updated live while open; focus returns to the row when it closes.
 */
import type { Api } from './api.js';
import { ApiError } from './api.js';
import { byId, h, replaceChildren } from './dom.js';
import { formatClock, formatEta, formatPercent, formatStage } from './format.js';
import type { JobStore } from './job-store.js';
import type { Delivery } from './types.js';

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

  close(): void {
    if (this.#dialog.open) this.#dialog.close();
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
          : h('ol', { class: 'deliveries' }, ...list.map(renderDelivery));
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

function renderDelivery(d: Delivery): HTMLLIElement {
  const history = Array.isArray(d.history) ? d.history : [];
  return h(
    'li',
    {},
    h('span', { class: 'event-type' }, d.event_type),
    ' ',
    h('span', { class: `badge delivery-${d.state}` }, d.state),
    ` ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`,
    d.next_attempt_at ? `, next at ${formatClock(d.next_attempt_at)}` : '',
    h('div', { class: 'mono break muted' }, d.url),
    history.length > 0
      ? h(
          'ol',
          { class: 'attempts' },
          ...history.map((a) =>
            h(
              'li',
              {},
              h('time', { class: 'mono', datetime: a.at }, formatClock(a.at)),
              ` — ${a.status_code !== null ? `HTTP ${a.status_code}` : (a.error ?? 'no answer')}`,
              a.status_code !== null && a.error ? ` (${a.error})` : '',
              ` in ${a.duration_ms} ms`,
            ),
          ),
        )
      : null,
  );
}
