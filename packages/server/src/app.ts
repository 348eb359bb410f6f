/**
 * Builds the Fastify app from a context: plugins, then routes. Nothing here listens or reads the
 * environment — `server.ts` runs it, tests use `app.inject()`.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { AppContext } from './context.js';
import { MAX_WAIT_S } from './http/conditional.js';
import { registerErrorHandler } from './plugins/error-handler.js';
import { registerFaults } from './plugins/faults.js';
import { registerHttpHeaders, requestIdFrom } from './plugins/http-headers.js';
import { registerTenant } from './plugins/tenant.js';
import { registerDashboardRoutes } from './routes/dashboard.js';
import { registerEventRoutes } from './routes/events.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerJobListRoutes } from './routes/job-list.js';
import { registerJobRoutes } from './routes/jobs.js';
import { registerStatsRoutes } from './routes/stats.js';
import { registerStatusRoute } from './routes/status.js';
import { registerWebhookRoutes } from './routes/webhooks.js';
import { JobSchema } from './schemas/job.js';
import { ProblemSchema } from './schemas/problem.js';

/** Slow clients cannot pin sockets: headers must arrive within this (`headersTimeoutMs`). */
export const HEADERS_TIMEOUT_MS = 10_000;
/** How often Node checks header and request timeouts (its default, 30 s, would let them run long). */
const TIMEOUT_CHECK_MS = 1000;
/** The whole request (headers and body) must arrive within this. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** Idle sockets are closed after this; above the longest hold, so held requests are never cut. */
export const SOCKET_IDLE_TIMEOUT_MS = (MAX_WAIT_S + 20) * 1000;

export function buildApp(
  ctx: AppContext,
  logger: FastifyServerOptions['loggerInstance'],
): FastifyInstance {
  const app = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    bodyLimit: ctx.config.bodyLimitBytes,
    trustProxy: ctx.config.trustProxy,
    requestIdHeader: false,
    genReqId: (req) =>
      requestIdFrom(req.headers['x-request-id'], () => `req_${randomUUID().replace(/-/g, '')}`),
    connectionTimeout: SOCKET_IDLE_TIMEOUT_MS,
    keepAliveTimeout: 5_000,
    requestTimeout: REQUEST_TIMEOUT_MS,
    http: {
      headersTimeout: ctx.config.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_MS, ctx.config.headersTimeoutMs / 4),
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
  });
  app.addSchema(JobSchema);
  app.addSchema(ProblemSchema);
  registerErrorHandler(app);
  registerTenant(app);
  registerHttpHeaders(app, ctx.config.corsOrigins);
  registerFaults(app, ctx.config.faults, ctx.config.seed);
  registerHealthRoutes(app, ctx);
  registerStatusRoute(app, ctx);
  registerJobRoutes(app, ctx);
  registerJobListRoutes(app, ctx);
  registerEventRoutes(app, ctx);
  registerWebhookRoutes(app, ctx);
  registerStatsRoutes(app, ctx);
  registerDashboardRoutes(app);
  return app;
}
