/**
 * In-process servers for tests: `startTestServer()` listens on 127.0.0.1 port 0 with the memory
 * store and silent logs, and is closed automatically when the test (or, outside a test, the file)
 * ends. Every response of a server or app built here is checked against its own API description
 * (`response-check.ts`). `createManualClock()` is a `Clock` a test moves by hand.
 */
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, onTestFinished } from 'vitest';
import { buildApp } from '../../src/app.js';
import type { Clock } from '../../src/clock.js';
import { resolveConfig, type ServerConfig } from '../../src/config.js';
import { createContext, type AppContext } from '../../src/context.js';
import { startServer, type RunningServer, type StartServerOptions } from '../../src/server.js';
// Brings the `request.tenant` declaration the tenant-header hook below writes to.
import type {} from '../../src/plugins/tenant.js';
import { checkResponses } from './response-check.js';

const open = new Set<RunningServer>();
const openApps = new Set<TestApp>();

afterAll(async () => {
  await Promise.all([...open].map((srv) => srv.close()));
  await Promise.all([...openApps].map((a) => a.close()));
  open.clear();
  openApps.clear();
});

/**
 * Starts a server for a test. Inside a test it closes when that test finishes; in `beforeAll` or at
 * file level it closes after the file (or earlier, if the test calls `close()` itself).
 */
export async function startTestServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const srv = await startServer({
    port: 0,
    host: '127.0.0.1',
    store: 'memory',
    logLevel: 'silent',
    ...options,
  });
  checkResponses(srv.app, srv.app.server);
  const close = srv.close.bind(srv);
  const tracked: RunningServer = {
    ...srv,
    close: async () => {
      open.delete(tracked);
      await close();
    },
  };
  open.add(tracked);
  try {
    onTestFinished(() => tracked.close());
  } catch {
    // Not inside a test (beforeAll / file level): the afterAll above closes it.
  }
  return tracked;
}

/** A clock that only moves when told. */
export interface ManualClock extends Clock {
  /** Sets the time (epoch ms). */
  set(ms: number): void;
  /** Moves the time forward by `ms`. */
  advance(ms: number): void;
}

/** A manual clock starting at `startMs` (default: a fixed, round instant). */
export function createManualClock(startMs = Date.UTC(2026, 0, 1)): ManualClock {
  let nowMs = startMs;
  return {
    now: () => nowMs,
    set: (ms) => {
      nowMs = ms;
    },
    advance: (ms) => {
      nowMs += ms;
    },
  };
}

export interface TestApp {
  app: FastifyInstance;
  context: AppContext;
  /** Base URL when built with `listen: true`. */
  url: string;
  close: () => Promise<void>;
}

/**
 * Builds the app without listening, for `app.inject()`, with the scheduler running as in
 * `startServer`. With `tenantHeader`, an `X-Test-Tenant` header chooses the request's tenant
 * (what the authentication plugin does with keys), so tenant isolation can be tested in open mode.
 */
export async function buildTestApp(
  options: Partial<ServerConfig> & { clock?: Clock; tenantHeader?: boolean; listen?: boolean } = {},
): Promise<TestApp> {
  const { clock, tenantHeader, listen, ...partial } = options;
  const config = resolveConfig({ store: 'memory', logLevel: 'silent', ...partial });
  const log = pino({ level: 'silent' });
  const context = await createContext(config, log, clock ? { clock } : {});
  const app = buildApp(context, undefined);
  if (tenantHeader) {
    app.addHook('onRequest', async (request) => {
      const tenant = request.headers['x-test-tenant'];
      if (typeof tenant === 'string') request.tenant = tenant;
    });
  }
  await context.scheduler.start();
  await app.ready();
  // As a deployment waits for /readyz: the scheduler reads the store's unfinished jobs in the
  // background, and /readyz says 503 catching_up until it has (a moment, on a fresh store).
  for (let waited = 0; !context.scheduler.caughtUp && waited < 5000; waited += 2)
    await new Promise((resolve) => setTimeout(resolve, 2));
  checkResponses(app, listen ? app.server : undefined);
  const url = listen ? await app.listen({ port: 0, host: '127.0.0.1' }) : '';
  let closing: Promise<void> | undefined;
  const result: TestApp = {
    app,
    context,
    url,
    close: () =>
      (closing ??= (async () => {
        context.waiters.closeAll();
        await app.close();
        await context.scheduler.stop();
        await context.store.close();
      })()),
  };
  openApps.add(result);
  try {
    onTestFinished(() => result.close());
  } catch {
    // Not inside a test: closed after the file.
  }
  return result;
}
