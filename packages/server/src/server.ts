/**
 * Runs the app: opens the store, rebuilds the scheduler, listens with the timeouts that keep slow
 * clients from pinning sockets, and closes gracefully — held requests are answered first. It says
 * so in two lines: one when it listens (where, on which store, who may use it) and a last one when
 * it has stopped (how long that took, and whether it was clean).
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
import { describeRedisUrl } from './store/redis-connection.js';
import type { Store } from './store/types.js';

/** Options for `startServer`: any configuration field, plus things only code can pass. */
export interface StartServerOptions extends Partial<Omit<ServerConfig, 'store'>> {
  /** A store spec (`memory`, `sqlite:<path>`, `redis://…`) or a store instance. @default 'sqlite:./data/vtrans.db' */
  store?: string | Store;
  /** A clock to run the simulator on (tests). @default the system clock */
  clock?: Clock;
  /** A pino logger to use instead of one made from `logLevel`. */
  logger?: Logger;
  /**
   * Write the start-up and shutdown lines at `logLevel: 'warn'` too, as the `vtrans` server process
   * does: a log of problems only still shows each start and each clean stop (a start without a
   * stop is a crash). Otherwise they are `info` lines. @default false
   */
  announceAtWarn?: boolean;
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
  const { store, clock, logger: givenLogger, announceAtWarn = false, ...rest } = options;
  const config = resolveConfig({
    logLevel: 'warn',
    ...rest,
    ...(typeof store === 'string' ? { store } : {}),
  });
  const logger = givenLogger ?? createLogger(config.logLevel, config.prettyLogs);
  const announce = announcer(logger, announceAtWarn);
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
    await listenQuietly(app, { port: config.port, host: config.host });
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const urlHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${urlHost}:${port}`;
  logStarted(announce, url, config, typeof store === 'object' ? store.kind : config.store);
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    host: config.host,
    app,
    context: ctx,
    close: () => (closing ??= closeGracefully(app, ctx, announce)),
  };
}

/**
 * The logger of the start-up and shutdown lines: the server's, or — asked to announce at `warn`
 * and logging at `warn` — a child of it that writes `info` too.
 */
function announcer(logger: Logger, atWarn: boolean): Logger {
  const quietButNotSilent = logger.isLevelEnabled('warn') && !logger.isLevelEnabled('info');
  return atWarn && quietButNotSilent ? logger.child({}, { level: 'info' }) : logger;
}

/**
 * `app.listen` without Fastify's own "Server listening at …" lines (one per address it binds):
 * the start-up line says it once, with more. Requests log through their own loggers, not `app.log`.
 */
async function listenQuietly(
  app: FastifyInstance,
  options: { port: number; host: string },
): Promise<void> {
  await app.ready();
  const log = app.log;
  app.log = (log as Logger).child({}, { level: 'silent' });
  try {
    await app.listen(options);
  } finally {
    app.log = log;
  }
}

/** Where the store is, without a password (`sqlite:./data/vtrans.db`, `redis://***@host:6379`). */
function describeStore(spec: string): string {
  return /^rediss?:/.test(spec) ? describeRedisUrl(spec) : spec;
}

/** The one start-up line: where, on which store, and who may use it. */
function logStarted(log: Logger, url: string, config: ServerConfig, store: string): void {
  const keys = configuredKeys(config);
  const tenants = new Set(keys.map((k) => k.tenant)).size;
  // `resolveConfig` refuses open mode off loopback, so open mode here is loopback only.
  const access =
    keys.length === 0
      ? 'open mode: no API keys, loopback only'
      : `${keys.length} API key${keys.length === 1 ? '' : 's'} for ${tenants} tenant${tenants === 1 ? '' : 's'}`;
  log.info(
    { server: { url, store: describeStore(store), apiKeys: keys.length, tenants } },
    `vtrans server listening on ${url} (store ${describeStore(store)}; ${access})`,
  );
}

/** How often a closing server drops keep-alive sockets that have just gone idle. */
const IDLE_SWEEP_MS = 50;

/** Closes, then writes the last line: how long it took, and whether connections had to be cut. */
async function closeGracefully(app: FastifyInstance, ctx: AppContext, log: Logger): Promise<void> {
  const startedAt = performance.now();
  const elapsedMs = () => Math.round(performance.now() - startedAt);
  let didCut = false;
  ctx.waiters.closeAll();
  const force = setTimeout(() => {
    didCut = true;
    app.server.closeAllConnections();
  }, ctx.config.shutdownGraceMs);
  force.unref();
  // Held requests answered just now leave keep-alive sockets that turn idle after close() began:
  // close them as they go idle, so shutdown does not wait out every client's keep-alive timeout.
  const sweep = setInterval(() => app.server.closeIdleConnections(), IDLE_SWEEP_MS);
  sweep.unref();
  try {
    await app.close();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log.error(
      { err, shutdown: { durationMs: elapsedMs() } },
      `shutdown failed after ${elapsedMs()} ms: ${message}`,
    );
    await flushed(log);
    throw err;
  } finally {
    clearTimeout(force);
    clearInterval(sweep);
  }
  const durationMs = elapsedMs();
  if (didCut) {
    log.warn(
      { shutdown: { durationMs, graceMs: ctx.config.shutdownGraceMs, cutConnections: true } },
      `stopped in ${durationMs} ms, cutting the connections still open after the ${ctx.config.shutdownGraceMs} ms grace (VT_SHUTDOWN_GRACE)`,
    );
  } else {
    log.info({ shutdown: { durationMs } }, `stopped cleanly in ${durationMs} ms`);
  }
  await flushed(log);
}

/**
 * Resolves once the lines written so far are handed on (the pretty printer's worker thread has
 * them), so a process may exit right after `close()` without losing its last line.
 */
function flushed(log: Logger): Promise<void> {
  return new Promise((resolve) => log.flush(() => resolve()));
}
