/**
 * A counter and a histogram for the per-request hot path. prom-client validates and hashes the
 * labels on every `inc`/`observe` (several µs per request at the throughput the capacity bench
 * drives); here a label set is resolved once to a series, cached by its values, and recording is a
 * few additions. They register in a prom-client `Registry` beside its own metrics — the registry
 * only calls `get()` and `reset()` and reads `name` — and render exactly as prom-client's
 * `Counter` and `Histogram` do (a test compares the two).
 */
import type { Registry } from 'prom-client';

type Labels<L extends string> = Record<L, string>;

interface SeriesMetricOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  registry: Registry;
}

/** What `Registry` reads from a metric (prom-client's `MetricObjectWithValues`). */
interface MetricSnapshot {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: {
    value: number;
    labels: Record<string, string | number>;
    sharedLabels?: Record<string, string>;
    metricName?: string;
  }[];
}

abstract class SeriesMetric<L extends string, S> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly aggregator = 'sum' as const;
  #series = new Map<string, S>();

  constructor(options: SeriesMetricOptions<L>) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames;
    options.registry.registerMetric(this as never);
  }

  /** The series for these label values, in `labelNames` order. */
  series(...values: string[]): S {
    const key = values.join('\u0000');
    let series = this.#series.get(key);
    if (!series) {
      if (values.length !== this.labelNames.length) {
        throw new Error(`${this.name} takes ${this.labelNames.length} label values`);
      }
      const labels = {} as Labels<L>;
      this.labelNames.forEach((name, i) => (labels[name] = values[i] ?? ''));
      series = this.create(labels);
      this.#series.set(key, series);
    }
    return series;
  }

  protected abstract create(labels: Labels<L>): S;

  protected abstract readonly type: MetricSnapshot['type'];

  protected snapshot(values: MetricSnapshot['values']): MetricSnapshot {
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' };
  }

  protected all(): IterableIterator<S> {
    return this.#series.values();
  }

  reset(): void {
    this.#series = new Map();
  }
}

export interface CounterSeries {
  inc(by?: number): void;
}

export class SeriesCounter<L extends string> extends SeriesMetric<
  L,
  CounterSeries & { labels: Labels<L>; value: number }
> {
  readonly type = 'counter' as const;

  protected create(labels: Labels<L>) {
    return {
      labels,
      value: 0,
      inc(by = 1) {
        this.value += by;
      },
    };
  }

  get(): Promise<MetricSnapshot> {
    const values = [...this.all()].map((s) => ({ value: s.value, labels: { ...s.labels } }));
    return Promise.resolve(this.snapshot(values));
  }
}

export interface HistogramSeries {
  observe(value: number): void;
}

interface HistogramState<L extends string> extends HistogramSeries {
  labels: Labels<L>;
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  counts: number[];
  sum: number;
  count: number;
}

export class SeriesHistogram<L extends string> extends SeriesMetric<L, HistogramState<L>> {
  readonly type = 'histogram' as const;
  readonly #bounds: readonly number[];

  constructor(options: SeriesMetricOptions<L> & { buckets: readonly number[] }) {
    super(options);
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
  }

  protected create(labels: Labels<L>): HistogramState<L> {
    const bounds = this.#bounds;
    return {
      labels,
      counts: new Array<number>(bounds.length + 1).fill(0),
      sum: 0,
      count: 0,
      observe(value: number) {
        if (!Number.isFinite(value)) return;
        let i = 0;
        while (i < bounds.length && value > (bounds[i] ?? Infinity)) i++;
        this.counts[i] = (this.counts[i] ?? 0) + 1;
        this.sum += value;
        this.count += 1;
      },
    };
  }

  /** The values as prom-client's histogram gives them to the text format: `le` first. */
  getForPromString(): Promise<MetricSnapshot> {
    const values: MetricSnapshot['values'] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.all()) {
      const shared = s.labels;
      let cumulative = 0;
      this.#bounds.forEach((le, i) => {
        cumulative += s.counts[i] ?? 0;
        values.push({
          value: cumulative,
          labels: { le },
          sharedLabels: shared,
          metricName: bucket,
        });
      });
      values.push({
        value: s.count,
        labels: { le: '+Inf' },
        sharedLabels: shared,
        metricName: bucket,
      });
      values.push({
        value: s.sum,
        labels: {},
        sharedLabels: shared,
        metricName: `${this.name}_sum`,
      });
      values.push({
        value: s.count,
        labels: {},
        sharedLabels: shared,
        metricName: `${this.name}_count`,
      });
    }
    return Promise.resolve(this.snapshot(values));
  }

  async get(): Promise<MetricSnapshot> {
    const data = await this.getForPromString();
    data.values = data.values.map(({ sharedLabels, ...v }) => ({
      ...v,
      labels: { ...v.labels, ...sharedLabels },
    }));
    return data;
  }
}
