/** The services a running server shares between its routes, built once from the configuration. */
import type { FastifyBaseLogger } from 'fastify';
import { systemClock, type Clock } from './clock.js';
import type { ServerConfig } from './config.js';
import { createMetrics, instrumentStore, type Metrics } from './metrics.js';
import { MemoryRateLimiter } from './rate-limit/memory-limiter.js';
import type { RateLimiter } from './rate-limit/types.js';
import type { JobRecord } from './sim/job-model.js';
import { createRandom, type Random } from './sim/rng.js';
import { drawJob } from './sim/simulator.js';
import { watchStats, type StatsRing } from './stats-ring.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/types.js';
import { Hub } from './wait/hub.js';
import { Scheduler } from './wait/scheduler.js';
import { WaiterRegistry } from './wait/waiter-registry.js';
import { OPEN_TENANT } from './plugins/tenant.js';
import { createWebhooks, type Webhooks } from './webhooks/index.js';

export interface AppContext {
  config: ServerConfig;
  store: Store;
  hub: Hub;
  scheduler: Scheduler;
  waiters: WaiterRegistry;
  random: Random;
  clock: Clock;
  /** Server start, for uptime and stats. */
  startedAt: number;
  /** This instance's Prometheus registry and metrics (`GET /metrics`). */
  metrics: Metrics;
  /** Rate-limit counters (in memory, or shared by a store backend). */
  limiter: RateLimiter;
  /** Webhook signing secrets and the background delivery worker (`server.ts` starts it). */
  webhooks: Webhooks;
  /** Per-minute job counts for `GET /v1/stats`, fed by the store's notices from the start. */
  stats: StatsRing;
  /**
   * The job bare `GET /status` reports, as in the original project: drawn from the simulation
   * settings when the server starts (each start draws again), held by this instance only — never
   * stored, so no outcome outlives the process, and not a job of the `/v1` API.
   */
  defaultJob: JobRecord;
}

export interface ContextOverrides {
  store?: Store;
  clock?: Clock;
  limiter?: RateLimiter;
}

export async function createContext(
  config: ServerConfig,
  log: FastifyBaseLogger,
  overrides: ContextOverrides = {},
): Promise<AppContext> {
  const clock = overrides.clock ?? systemClock;
  const store =
    overrides.store ??
    (await openStore(config.store, {
      retentionMs: config.retentionMs,
      log,
      memoryMaxJobs: config.memoryMaxJobs,
    }));
  const hub = new Hub();
  // Every durable write reaches local held requests and streams through the hub.
  store.subscribe((notice) => {
    hub.publish({
      jobId: notice.event.jobId,
      tenant: notice.event.tenant,
      at: notice.event.at,
      event: notice.event,
    });
  });
  const waiters = new WaiterRegistry(config.maxWaiters);
  // Made below, once the store it reads is timed; read only when /metrics is scraped.
  let scheduler: Scheduler | undefined;
  const metrics = createMetrics({
    waiters: () => ({ held: waiters.heldRequests, streams: waiters.openStreams }),
    scheduler: () => ({ tracked: scheduler?.size ?? 0, loaded: scheduler?.loaded ?? false }),
  });
  // Every operation is timed, and the job events this instance writes are counted, in one place.
  const timedStore = instrumentStore(store, metrics);
  const random = createRandom(config.seed);
  const startedAt = clock.now();
  return {
    config,
    store: timedStore,
    hub,
    scheduler: (scheduler = new Scheduler(timedStore, hub, clock, log)),
    waiters,
    metrics,
    // A shared store (Redis) keeps the counters, so every instance counts against the same windows.
    limiter: overrides.limiter ?? store.rateLimiter?.() ?? new MemoryRateLimiter(),
    random,
    clock,
    startedAt,
    // The worker counts into this instance's registry and its store calls are timed too.
    webhooks: createWebhooks({
      config,
      store: timedStore,
      clock,
      log,
      openTenant: OPEN_TENANT,
      metrics,
    }),
    stats: watchStats(store, clock),
    defaultJob: drawJob({ tenant: OPEN_TENANT }, config, random, startedAt),
  };
}
