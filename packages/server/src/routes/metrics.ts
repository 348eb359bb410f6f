/**
 * `GET /metrics` (Prometheus text format, behind `VT_METRICS_TOKEN` when set) and the hook that
 * counts every answer by route pattern — never the raw URL, whose ids would explode the label set.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { routePattern } from '../http/route-pattern.js';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import type { CounterSeries, HistogramSeries } from '../metric-series.js';
import { ProblemError } from '../errors.js';
import { textResponse } from '../schemas/responses.js';

/** Requests that matched no route share one label. */
const UNMATCHED_ROUTE = '(unmatched)';

export function registerHttpMetrics(app: FastifyInstance, ctx: AppContext): void {
  const { httpRequests, httpDuration } = ctx.metrics;
  // Both series of each (route, method, status), found with three map lookups and no string work.
  type Pair = [CounterSeries, HistogramSeries];
  const byRoute = new Map<string, Map<string, Map<number, Pair>>>();
  const seriesOf = (route: string, method: string, status: number) => {
    let byMethod = byRoute.get(route);
    if (!byMethod) byRoute.set(route, (byMethod = new Map<string, Map<number, Pair>>()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map<number, Pair>()));
    let pair: Pair | undefined = byStatus.get(status);
    if (!pair) {
      const labels = [route, method, String(status)] as const;
      pair = [httpRequests.series(...labels), httpDuration.series(...labels)];
      byStatus.set(status, pair);
    }
    return pair;
  };
  app.addHook('onRequest', (request, reply, done) => {
    // `close` fires once for every answer, including hijacked event streams (no onResponse for
    // those); `on` rather than `once` spares a wrapper and its removal per request.
    reply.raw.on('close', () => {
      const [requests, duration] = seriesOf(
        routePattern(request) ?? UNMATCHED_ROUTE,
        request.method,
        reply.raw.statusCode,
      );
      requests.inc();
      duration.observe(reply.elapsedTime / 1000);
    });
    done();
  });
}

const digest = (text: string) => createHash('sha256').update(text).digest();

export function registerMetricsRoute(app: FastifyInstance, ctx: AppContext): void {
  const token = ctx.config.metricsToken;
  const expected = token === undefined ? undefined : digest(token);
  app.get(
    '/metrics',
    {
      schema: {
        operationId: 'getMetrics',
        summary: 'Prometheus metrics (text exposition format)',
        description: 'Needs `Authorization: Bearer <VT_METRICS_TOKEN>` when that token is set.',
        tags: ['operations'],
        response: { 200: textResponse('Prometheus text format 0.0.4', ['text/plain']) },
      },
    },
    async (request, reply) => {
      if (expected) {
        const m = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '');
        if (!m?.[1] || !timingSafeEqual(digest(m[1]), expected)) {
          throw new ProblemError(
            'unauthorized',
            '/metrics needs the metrics token: Authorization: Bearer <VT_METRICS_TOKEN>',
            {
              headers: { 'www-authenticate': 'Bearer realm="vtrans-metrics"' },
            },
          );
        }
      }
      const body = await ctx.metrics.render();
      return reply
        .header('cache-control', 'no-store')
        .type(ctx.metrics.contentType)
        .serializer((payload) => payload as string)
        .send(body);
    },
  );
}
