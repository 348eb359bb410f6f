/**
 * Runs the app: opens the store, rebuilds the scheduler, listens with the timeouts that keep slow
 * clients from pinning sockets, and closes gracefully — held requests are answered first.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import type { Clock } from './clock.js';
import { resolveConfig, type ServerConfig } from './config.js';
import { createContext, type AppContext } from './context.js';
import { createLogger } from './logger.js';
import { startRetention } from './maintenance.js';
import { configuredKeys } from './access-config.js';
import type { Store } from './store/types.js';

/** Options for `startServer`: any configuration field, plus things only code can pass. */
export interface StartServerOptions extends Partial<Omit<ServerConfig, 'store'>> {
  /** A store spec (`memory`, `sqlite:<path>`, `redis://…`) or a store instance. @default 'sqlite:./data/vtrans.db' */
  store?: string | Store;
  /** A clock to run the simulator on (tests). @default the system clock */
  clock?: Clock;
  /** A pino logger to use instead of one made from `logLevel`. */
  logger?: Logger;
}

export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:54321`. */
  url: string;
  port: number;
  host: string;
  app: FastifyInstance;
  context: AppContext;
  /** Stops accepting, answers held requests, finishes in-flight ones, closes the store. */
  close(): Promise<void>;
}

/**
 * Starts a vtrans server in this process.
 * @example
 * const srv = await startServer({ port: 0, store: 'memory' });
 * await fetch(`${srv.url}/v1/jobs`, { method: 'POST' });
 * await srv.close();
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const { store, clock, logger: givenLogger, ...rest } = options;
  const config = resolveConfig({
    logLevel: 'warn',
    ...rest,
    ...(typeof store === 'string' ? { store } : {}),
  });
  const logger = givenLogger ?? createLogger(config.logLevel, config.prettyLogs);
  const ctx = await createContext(config, logger, {
    ...(typeof store === 'object' ? { store } : {}),
    ...(clock ? { clock } : {}),
  });
  const app = buildApp(ctx, logger);
  let stopRetention: (() => void) | undefined;
  app.addHook('onClose', async () => {
    stopRetention?.();
    await ctx.scheduler.stop();
    // Before the store closes: attempts in flight are aborted and recorded as due again.
    await ctx.webhooks.worker.stop();
    await ctx.store.close();
    await ctx.limiter.close();
  });
  try {
    await ctx.scheduler.start();
    await ctx.webhooks.secrets.applyConfigured();
    ctx.webhooks.worker.start();
    stopRetention = startRetention(ctx, logger);
    await app.listen({ port: config.port, host: config.host });
    logAccessMode(logger, config);
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const urlHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    host: config.host,
    app,
    context: ctx,
    close: () => (closing ??= closeGracefully(app, ctx)),
  };
}

/** One start-up line saying who may use the server (`resolveConfig` refused open mode off loopback). */
function logAccessMode(logger: Logger, config: ServerConfig): void {
  const keys = configuredKeys(config);
  if (keys.length === 0) {
    logger.warn(
      `open mode: no API keys (VT_API_KEYS), every client is the one public tenant; listening on loopback ${config.host} only`,
    );
  } else {
    const tenants = new Set(keys.map((k) => k.tenant)).size;
    logger.info(`API keys required: ${keys.length} keys for ${tenants} tenants`);
  }
}

/** How often a closing server drops keep-alive sockets that have just gone idle. */
const IDLE_SWEEP_MS = 50;

async function closeGracefully(app: FastifyInstance, ctx: AppContext): Promise<void> {
  ctx.waiters.closeAll();
  const force = setTimeout(() => app.server.closeAllConnections(), ctx.config.shutdownGraceMs);
  force.unref();
  // Held requests answered just now leave keep-alive sockets that turn idle after close() began:
  // close them as they go idle, so shutdown does not wait out every client's keep-alive timeout.
  const sweep = setInterval(() => app.server.closeIdleConnections(), IDLE_SWEEP_MS);
  sweep.unref();
  try {
    await app.close();
  } finally {
    clearTimeout(force);
    clearInterval(sweep);
  }
}
