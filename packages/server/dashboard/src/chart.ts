/**
 * Throughput and outcomes per minute, drawn as inline SVG with DOM APIs (no library, no inline
 * style): stacked bars of completed / failed / canceled jobs and a line of created jobs. Loaded
 * from `GET /v1/stats`, then kept current from the event stream without asking again.
 */
import { h, replaceChildren, svg } from './dom.js';
import type { Job, Stats, StatsCounts } from './types.js';

const WIDTH = 320;
const HEIGHT = 132;
const PAD = { left: 26, right: 6, top: 8, bottom: 18 };
const OUTCOMES = ['completed', 'failed', 'canceled'] as const;
const COUNTED: Record<string, keyof StatsCounts> = {
  'job.created': 'created',
  'job.completed': 'completed',
  'job.failed': 'failed',
  'job.canceled': 'canceled',
};

const zero = (): StatsCounts => ({ created: 0, completed: 0, failed: 0, canceled: 0 });

export class ThroughputChart {
  readonly #buckets = new Map<number, StatsCounts>();
  #bucketMs = 60_000;
  /** Changes at or before this instant are already in the loaded stats. */
  #loadedUpTo = Number.POSITIVE_INFINITY;
  #lastRenderedBucket = -1;

  constructor(
    private readonly host: HTMLElement,
    private readonly legend: HTMLElement,
    readonly minutes: number,
  ) {}

  load(stats: Stats): void {
    this.#buckets.clear();
    this.#bucketMs = stats.bucket_ms;
    for (const b of stats.buckets) {
      const { created, completed, failed, canceled } = b;
      this.#buckets.set(Math.floor(Date.parse(b.start) / this.#bucketMs), {
        created,
        completed,
        failed,
        canceled,
      });
    }
    this.#loadedUpTo = Date.parse(stats.now);
    this.render(Date.parse(stats.now));
  }

  /** Counts an event from the stream, in the minute it happened (server time). */
  count(type: string, job: Job, now = Date.now()): void {
    const field = COUNTED[type];
    if (!field || !Number.isFinite(this.#loadedUpTo)) return;
    const at = Date.parse(field === 'created' ? job.created_at : (job.completed_at ?? ''));
    if (!Number.isFinite(at) || at <= this.#loadedUpTo) return;
    const key = Math.floor(at / this.#bucketMs);
    let counts = this.#buckets.get(key);
    if (!counts) this.#buckets.set(key, (counts = zero()));
    counts[field] += 1;
    this.render(now);
  }

  /** Re-renders when a new minute starts. */
  tick(now = Date.now()): void {
    if (Math.floor(now / this.#bucketMs) !== this.#lastRenderedBucket) this.render(now);
  }

  render(now = Date.now()): void {
    const current = Math.floor(now / this.#bucketMs);
    this.#lastRenderedBucket = current;
    const keys: number[] = [];
    for (let k = current - this.minutes + 1; k <= current; k++) keys.push(k);
    for (const k of this.#buckets.keys()) if (k < keys[0]!) this.#buckets.delete(k);
    const rows = keys.map((k) => ({ key: k, c: this.#buckets.get(k) ?? zero() }));
    const totals = zero();
    let max = 1;
    for (const { c } of rows) {
      for (const f of Object.keys(totals) as (keyof StatsCounts)[]) totals[f] += c[f];
      max = Math.max(max, c.created, c.completed + c.failed + c.canceled);
    }
    const plotW = WIDTH - PAD.left - PAD.right;
    const plotH = HEIGHT - PAD.top - PAD.bottom;
    const step = plotW / rows.length;
    const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
    const summary = `Last ${this.minutes} minutes: ${totals.created} created, ${totals.completed} completed, ${totals.failed} failed, ${totals.canceled} canceled.`;

    const chart = svg('svg', {
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      role: 'img',
      'aria-label': summary,
      class: 'chart-svg',
    });
    chart.append(
      svg('line', { class: 'axis', x1: PAD.left, x2: WIDTH - PAD.right, y1: y(0), y2: y(0) }),
      svg('line', { class: 'grid', x1: PAD.left, x2: WIDTH - PAD.right, y1: y(max), y2: y(max) }),
      svg('text', { class: 'tick', x: PAD.left - 4, y: y(max) + 3, 'text-anchor': 'end' }, max),
      svg('text', { class: 'tick', x: PAD.left - 4, y: y(0) + 3, 'text-anchor': 'end' }, 0),
      svg('text', { class: 'tick', x: PAD.left, y: HEIGHT - 4 }, `−${this.minutes} min`),
      svg(
        'text',
        { class: 'tick', x: WIDTH - PAD.right, y: HEIGHT - 4, 'text-anchor': 'end' },
        'now',
      ),
    );
    const barW = Math.max(2, step * 0.7);
    const points: string[] = [];
    rows.forEach(({ key, c }, i) => {
      const x = PAD.left + i * step + (step - barW) / 2;
      const group = svg('g', { class: 'bar' });
      let base = 0;
      for (const outcome of OUTCOMES) {
        const v = c[outcome];
        if (v > 0) {
          group.append(
            svg('rect', {
              class: `c-${outcome}`,
              x,
              y: y(base + v),
              width: barW,
              height: Math.max(1, y(base) - y(base + v)),
              rx: 1.5,
            }),
          );
        }
        base += v;
      }
      const time = new Date(key * this.#bucketMs);
      const label = `${String(time.getHours()).padStart(2, '0')}:${String(time.getMinutes()).padStart(2, '0')}`;
      group.append(
        svg(
          'title',
          {},
          `${label}: ${c.created} created, ${c.completed} completed, ${c.failed} failed, ${c.canceled} canceled`,
        ),
        // An invisible full-height target so the tooltip shows on empty minutes too.
        svg('rect', {
          class: 'hit',
          x: PAD.left + i * step,
          y: PAD.top,
          width: step,
          height: plotH,
        }),
      );
      chart.append(group);
      points.push(`${(PAD.left + i * step + step / 2).toFixed(1)},${y(c.created).toFixed(1)}`);
    });
    chart.append(svg('polyline', { class: 'c-created line', points: points.join(' ') }));
    replaceChildren(this.host, chart);

    const item = (cls: string, name: string, n: number) =>
      h(
        'li',
        {},
        h('span', { class: `swatch ${cls}`, 'aria-hidden': 'true' }),
        `${name} `,
        h('strong', {}, n),
      );
    replaceChildren(
      this.legend,
      item('c-created', 'created', totals.created),
      item('c-completed', 'completed', totals.completed),
      item('c-failed', 'failed', totals.failed),
      item('c-canceled', 'canceled', totals.canceled),
    );
  }
}
