/**
 * Prometheus metrics. Each app instance has its own prom-client `Registry` (tests start many
 * servers in one process, so the global default registry is never used). Other features add their
 * own metrics with `metrics.counter(...)` / `metrics.histogram(...)`, or `registers: [metrics.registry]`.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { SeriesCounter, SeriesHistogram } from './metric-series.js';
import type { Store } from './store/types.js';

/** How often the event-loop monitor samples (ms); a stall shorter than this is not seen. */
const LOOP_DELAY_RESOLUTION_MS = 10;

/** Seconds; from a cached read to a long SSE stream or a 50 s hold. */
const HTTP_BUCKETS_S = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const STORE_BUCKETS_S = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** Job lifecycle events counted by `vtrans_jobs_total{event}`. */
export type JobMetricEvent = 'created' | 'completed' | 'failed' | 'canceled';

export interface MetricsSources {
  /** Held long polls and open event streams right now. */
  waiters: () => { held: number; streams: number };
  /** Jobs the scheduler watches, and whether it has read every unfinished job since start. */
  scheduler: () => { tracked: number; loaded: boolean };
}

export interface Metrics {
  readonly registry: Registry;
  /** Per-request metrics: series metrics, cheap on the hot path (see metric-series.ts). */
  readonly httpRequests: SeriesCounter<'route' | 'method' | 'status'>;
  readonly httpDuration: SeriesHistogram<'route' | 'method' | 'status'>;
  readonly jobs: Counter<'event'>;
  readonly rateLimited: Counter<'tier'>;
  readonly storeDuration: SeriesHistogram<'operation' | 'outcome'>;
  /** A counter in this registry; the same object when called again with the same name. */
  counter<L extends string = string>(
    name: string,
    help: string,
    labelNames?: readonly L[],
  ): Counter<L>;
  /** A histogram in this registry; the same object when called again with the same name. */
  histogram<L extends string = string>(
    name: string,
    help: string,
    labelNames?: readonly L[],
    buckets?: number[],
  ): Histogram<L>;
  /** The text exposition (`GET /metrics`). */
  render(): Promise<string>;
  readonly contentType: string;
  /** Stops the event-loop monitor (the app's `onClose`). */
  close(): void;
}

/** Builds a registry with vtrans's metrics. */
export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    (registry.getSingleMetric(name) as Counter<L> | undefined) ??
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  const histogram = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    buckets?: number[],
  ) =>
    (registry.getSingleMetric(name) as Histogram<L> | undefined) ??
    new Histogram<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      ...(buckets ? { buckets } : {}),
    });

  const labels = ['route', 'method', 'status'] as const;
  // Started by the first scrape, so apps that are never scraped (most tests) run no monitor.
  let loopDelay: IntervalHistogram | undefined;
  const metrics: Metrics = {
    registry,
    httpRequests: new SeriesCounter({
      name: 'vtrans_http_requests_total',
      help: 'HTTP requests answered',
      labelNames: labels,
      registry,
    }),
    httpDuration: new SeriesHistogram({
      name: 'vtrans_http_request_duration_seconds',
      help: 'Time to answer an HTTP request (held long polls and streams included)',
      labelNames: labels,
      buckets: HTTP_BUCKETS_S,
      registry,
    }),
    jobs: counter(
      'vtrans_jobs_total',
      'Job lifecycle events this instance wrote (created, completed, failed, canceled)',
      ['event'],
    ),
    rateLimited: counter('vtrans_rate_limited_total', 'Requests refused with 429', ['tier']),
    storeDuration: new SeriesHistogram({
      name: 'vtrans_store_operation_duration_seconds',
      help: 'Store operation latency',
      labelNames: ['operation', 'outcome'],
      buckets: STORE_BUCKETS_S,
      registry,
    }),
    counter,
    histogram,
    render: () => registry.metrics(),
    contentType: registry.contentType,
    close: () => loopDelay?.disable(),
  };
  new Gauge({
    name: 'vtrans_event_loop_delay_max_seconds',
    help: 'Longest event-loop delay since the previous scrape (from the second scrape on); a stalled loop delays every answer and wake',
    registers: [registry],
    collect() {
      if (!loopDelay) {
        loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
        loopDelay.enable();
      }
      // The monitor records whole intervals between its ticks; the delay is what exceeds one.
      const maxMs = loopDelay.max / 1e6;
      this.set(Math.max(0, maxMs - LOOP_DELAY_RESOLUTION_MS) / 1000);
      loopDelay.reset();
    },
  });
  new Gauge({
    name: 'vtrans_held_requests',
    help: 'Long polls being held right now',
    registers: [registry],
    collect() {
      this.set(sources.waiters().held);
    },
  });
  new Gauge({
    name: 'vtrans_open_streams',
    help: 'Server-Sent Events streams open right now',
    registers: [registry],
    collect() {
      this.set(sources.waiters().streams);
    },
  });
  new Gauge({
    name: 'vtrans_scheduler_jobs',
    help: 'Unfinished jobs this instance watches (their next lifecycle step is on its timer)',
    registers: [registry],
    collect() {
      this.set(sources.scheduler().tracked);
    },
  });
  new Gauge({
    name: 'vtrans_scheduler_loaded',
    help: '1 once this instance has read every unfinished job from the store since it started (it reads them in the background, those finishing first first)',
    registers: [registry],
    collect() {
      this.set(sources.scheduler().loaded ? 1 : 0);
    },
  });
  new Gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size in bytes',
    registers: [registry],
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
  for (const event of ['created', 'completed', 'failed', 'canceled'] as const) {
    metrics.jobs.inc({ event }, 0);
  }
  return metrics;
}

/** Not store operations: subscribing and closing are not timed. */
const UNTIMED_METHODS = new Set<string | symbol>(['subscribe', 'close', 'constructor']);

const TERMINAL_EVENT_METRIC: Record<string, JobMetricEvent | undefined> = {
  'job.created': 'created',
  'job.completed': 'completed',
  'job.failed': 'failed',
  'job.canceled': 'canceled',
};

/**
 * Wraps a store so every operation's latency is observed, and the job events it *writes* are
 * counted — once, on the instance that wrote them (a shared store notifies every instance, so
 * counting notices would count each job once per instance). Methods added to `Store` later are
 * timed too, under their own name.
 */
export function instrumentStore<S extends Store>(store: S, metrics: Metrics): S {
  const wrapped = new Map<string | symbol, unknown>();
  const countWritten = (events: readonly { type: string }[]) => {
    for (const e of events) {
      const event = TERMINAL_EVENT_METRIC[e.type];
      if (event) metrics.jobs.inc({ event });
    }
  };
  return new Proxy(store, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      let fn = wrapped.get(prop);
      if (fn) return fn;
      const method = value as (...args: unknown[]) => unknown;
      if (typeof prop === 'symbol' || UNTIMED_METHODS.has(prop)) {
        fn = method.bind(target);
      } else {
        const operation = String(prop);
        const ok = metrics.storeDuration.series(operation, 'ok');
        fn = async (...args: unknown[]) => {
          const start = performance.now();
          try {
            const result = await method.apply(target, args);
            ok.observe((performance.now() - start) / 1000);
            if (operation === 'emitSteps') countWritten(result as { type: string }[]);
            else if (operation === 'createJob' || operation === 'cancelJob') {
              const r = result as { kind: string; event?: { type: string } };
              if (r.event && (r.kind === 'created' || r.kind === 'canceled'))
                countWritten([r.event]);
            }
            return result;
          } catch (err) {
            metrics.storeDuration
              .series(operation, 'error')
              .observe((performance.now() - start) / 1000);
            throw err;
          }
        };
      }
      wrapped.set(prop, fn);
      return fn;
    },
  });
}
