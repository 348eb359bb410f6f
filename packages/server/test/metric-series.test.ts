import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SeriesCounter, SeriesHistogram } from '../src/metric-series.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const OBSERVED: [string, string, number][] = [
  ['/v1/jobs/:id', '200', 0.0004],
  ['/v1/jobs/:id', '200', 0.001], // on a bound: counted in that bucket (`le`)
  ['/v1/jobs/:id', '200', 0.05],
  ['/v1/jobs/:id', '404', 2.5], // above every bound: only in +Inf
  ['/status', '200', 0.0099],
];

/** Both registries, fed the same observations: one with prom-client's metrics, one with ours. */
function twoRegistries() {
  const theirs = new Registry();
  const ours = new Registry();
  const labelNames = ['route', 'status'] as const;
  const counter = new Counter({ name: 'c_total', help: 'c', labelNames, registers: [theirs] });
  const histogram = new Histogram({
    name: 'h_seconds',
    help: 'h',
    labelNames,
    buckets: BUCKETS,
    registers: [theirs],
  });
  const seriesCounter = new SeriesCounter({
    name: 'c_total',
    help: 'c',
    labelNames,
    registry: ours,
  });
  const seriesHistogram = new SeriesHistogram({
    name: 'h_seconds',
    help: 'h',
    labelNames,
    buckets: BUCKETS,
    registry: ours,
  });
  for (const [route, status, value] of OBSERVED) {
    counter.inc({ route, status });
    histogram.observe({ route, status }, value);
    seriesCounter.series(route, status).inc();
    seriesHistogram.series(route, status).observe(value);
  }
  counter.inc({ route: '/status', status: '200' }, 3);
  seriesCounter.series('/status', '200').inc(3);
  return { theirs, ours };
}

describe('series metrics', () => {
  it('render in the Prometheus text format exactly as prom-client renders the same observations', async () => {
    const { theirs, ours } = twoRegistries();
    const text = await ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toContain('h_seconds_bucket{le="0.001",route="/v1/jobs/:id",status="200"} 2');
    expect(text).toContain('h_seconds_bucket{le="+Inf",route="/v1/jobs/:id",status="404"} 1');
    expect(text).toContain('c_total{route="/status",status="200"} 4');
  });

  it('give the same JSON as prom-client (without exemplars) and start again from zero on reset', async () => {
    const { theirs, ours } = twoRegistries();
    // prom-client adds `exemplar: null` to each histogram value; series metrics have no exemplars.
    const withoutExemplars = JSON.parse(
      JSON.stringify(await theirs.getMetricsAsJSON(), (key, value: unknown) =>
        key === 'exemplar' ? undefined : value,
      ),
    ) as unknown;
    expect(await ours.getMetricsAsJSON()).toEqual(withoutExemplars);
    ours.resetMetrics();
    theirs.resetMetrics();
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('refuses the wrong number of label values with a message naming the metric', () => {
    const metric = new SeriesCounter({
      name: 'x_total',
      help: 'x',
      labelNames: ['a', 'b'],
      registry: new Registry(),
    });
    expect(() => metric.series('only-one')).toThrow('x_total takes 2 label values');
  });
});
