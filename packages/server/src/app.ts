/**
 * Builds the Fastify app from a context: plugins, then routes. Nothing here listens or reads the
 * environment — `server.ts` runs it, tests use `app.inject()`.
 */
import { createRequire } from 'node:module';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { AppContext } from './context.js';
import { MAX_WAIT_S } from './http/conditional.js';
import { AccessLog, registerAccessLog } from './access-log.js';
import { lazyChildLogger } from './logger.js';
import { configuredKeys, effectiveRateLimits } from './access-config.js';
import { KeyRing, registerAuth } from './plugins/auth.js';
import { clientErrorHandler, frameworkErrors } from './plugins/client-errors.js';
import { registerErrorHandler, sendProblem } from './plugins/error-handler.js';
import { registerFaults } from './plugins/faults.js';
import { registerHttpHeaders, requestIdFrom } from './plugins/http-headers.js';
import { registerRateLimit } from './plugins/rate-limit.js';
import { registerTenant } from './plugins/tenant.js';
import { registerRoutePattern } from './http/route-pattern.js';
import { registerDashboardRoutes } from './routes/dashboard.js';
import { registerDocsRoutes } from './routes/docs.js';
import { registerEventRoutes } from './routes/events.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerJobListRoutes } from './routes/job-list.js';
import { registerJobRoutes } from './routes/jobs.js';
import { registerHttpMetrics, registerMetricsRoute } from './routes/metrics.js';
import { registerStatsRoutes } from './routes/stats.js';
import { registerStatusRoute } from './routes/status.js';
import { registerWebhookRoutes } from './routes/webhooks.js';
import { JobSchema } from './schemas/job.js';
import { ProblemSchema } from './schemas/problem.js';

/** How often Node checks header and request timeouts (its default, 30 s, would let them run long). */
const TIMEOUT_CHECK_MS = 1000;
/** The whole request (headers and body) must arrive within this. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** Larger request headers get 431 (Node's default, made explicit). */
export const MAX_HEADER_BYTES = 16 * 1024;
const PACKAGE_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version;
/** Idle sockets are closed after this; above the longest hold, so held requests are never cut. */
export const SOCKET_IDLE_TIMEOUT_MS = (MAX_WAIT_S + 20) * 1000;

export function buildApp(
  ctx: AppContext,
  logger: FastifyServerOptions['loggerInstance'],
): FastifyInstance {
  const app = Fastify({
    ...(logger
      ? {
          loggerInstance: logger,
          childLoggerFactory: lazyChildLogger,
          logController: new AccessLog(),
        }
      : { logger: false }),
    bodyLimit: ctx.config.bodyLimitBytes,
    trustProxy: ctx.config.trustProxy,
    requestIdHeader: false,
    genReqId: (req) => requestIdFrom(req.headers['x-request-id']),
    connectionTimeout: SOCKET_IDLE_TIMEOUT_MS,
    keepAliveTimeout: 5_000,
    requestTimeout: REQUEST_TIMEOUT_MS,
    http: {
      headersTimeout: ctx.config.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_MS, ctx.config.headersTimeoutMs / 4),
      maxHeaderSize: MAX_HEADER_BYTES,
    },
    clientErrorHandler,
    frameworkErrors,
    // While draining, the hook below answers new requests with a problem+json 503 instead of
    // Fastify's own (plain JSON) one.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
  });
  app.addHook('onClose', (_instance, done) => {
    ctx.metrics.close();
    done();
  });
  app.addSchema(JobSchema);
  app.addSchema(ProblemSchema);
  registerErrorHandler(app);
  registerAccessLog(app);
  registerTenant(app);
  registerRoutePattern(app);
  registerHttpHeaders(app, ctx.config.corsOrigins);
  app.addHook('onRequest', (request, reply, done) => {
    if (!ctx.waiters.isClosing) return done();
    void reply.header('retry-after', '1').header('connection', 'close');
    // Answered here: the request goes no further (`done` is not called).
    void sendProblem(request, reply, 'shutting_down', 'The server is shutting down; retry shortly');
  });
  // Order matters: metrics see every answer; auth sets the tenant the limiter counts against.
  registerHttpMetrics(app, ctx);
  const keys = new KeyRing(configuredKeys(ctx.config));
  registerAuth(app, keys);
  const policies = effectiveRateLimits(ctx.config);
  registerRateLimit(app, ctx, { policies });
  const faults = registerFaults(app, ctx.config.faults, ctx.config.seed);
  // Before the routes: @fastify/swagger collects them as they are added. The document says what
  // this configuration does: who needs a key, whether limits and faults apply.
  registerDocsRoutes(app, {
    version: PACKAGE_VERSION,
    hasKeys: !keys.isOpen,
    isRateLimited: policies.length > 0,
    hasMetricsToken: ctx.config.metricsToken !== undefined,
    faults: faults?.spec,
  });
  // Routes load in a child context, after @fastify/swagger, which collects routes as they are added.
  void app.register(async (api) => {
    registerHealthRoutes(api, ctx);
    registerMetricsRoute(api, ctx);
    registerStatusRoute(api, ctx);
    registerJobRoutes(api, ctx);
    registerJobListRoutes(api, ctx);
    registerEventRoutes(api, ctx);
    registerWebhookRoutes(api, ctx);
    registerStatsRoutes(api, ctx);
    registerDashboardRoutes(api);
  });
  return app;
}
