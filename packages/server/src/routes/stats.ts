/**
 * `GET /v1/settings` (the simulation settings, read-only) and `GET /v1/stats` (per-minute counts of
 * created, completed, failed and canceled jobs for the caller's tenant).
 *
 * Stats come from an in-memory ring fed by the store's notices, bucketed by the instant each change
 * happened (`event.at`), so a job that finished while the server was down lands in the right minute
 * when the scheduler writes its event at boot. Every instance sees every notice (shared stores
 * broadcast them), so instances agree on counts since they started; `since` says from when.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import type { Clock } from '../clock.js';
import type { AppContext } from '../context.js';
import { MAX_WAIT_S } from '../http/conditional.js';
import { jsonResponse, problemResponses } from '../schemas/responses.js';
import type { EventType, Store, StoredEvent } from '../store/types.js';

const MINUTE_MS = 60_000;
/** Minutes of history kept per tenant. */
export const STATS_KEPT_MINUTES = 60;
/** Minutes answered when the request does not say. */
export const STATS_DEFAULT_MINUTES = 15;

const COUNTED: Partial<Record<EventType, keyof Counts>> = {
  'job.created': 'created',
  'job.completed': 'completed',
  'job.failed': 'failed',
  'job.canceled': 'canceled',
};

interface Counts {
  created: number;
  completed: number;
  failed: number;
  canceled: number;
}

const zero = (): Counts => ({ created: 0, completed: 0, failed: 0, canceled: 0 });

/** Per-tenant, per-minute counters over the last `STATS_KEPT_MINUTES` minutes. */
export class StatsRing {
  readonly #tenants = new Map<string, Map<number, Counts>>();
  readonly startedAt: number;

  constructor(now: number) {
    this.startedAt = now;
  }

  record(event: Pick<StoredEvent, 'tenant' | 'type' | 'at'>, now: number): void {
    const field = COUNTED[event.type];
    if (!field) return;
    const minute = Math.floor(event.at / MINUTE_MS);
    const oldest = Math.floor(now / MINUTE_MS) - STATS_KEPT_MINUTES + 1;
    if (minute < oldest) return;
    let buckets = this.#tenants.get(event.tenant);
    if (!buckets) this.#tenants.set(event.tenant, (buckets = new Map<number, Counts>()));
    let counts = buckets.get(minute);
    if (!counts) {
      buckets.set(minute, (counts = zero()));
      for (const key of buckets.keys()) if (key < oldest) buckets.delete(key);
    }
    counts[field] += 1;
  }

  /** The last `minutes` minute buckets for a tenant, oldest first, the current minute last. */
  read(tenant: string, minutes: number, now: number): { startMs: number; counts: Counts }[] {
    const current = Math.floor(now / MINUTE_MS);
    const buckets = this.#tenants.get(tenant);
    const out: { startMs: number; counts: Counts }[] = [];
    for (let m = current - minutes + 1; m <= current; m++) {
      out.push({ startMs: m * MINUTE_MS, counts: { ...(buckets?.get(m) ?? zero()) } });
    }
    return out;
  }
}

const CountsSchema = {
  created: Type.Integer({ minimum: 0, description: 'jobs created' }),
  completed: Type.Integer({ minimum: 0, description: 'jobs that ended completed' }),
  failed: Type.Integer({ minimum: 0, description: 'jobs that ended in error' }),
  canceled: Type.Integer({ minimum: 0, description: 'jobs canceled' }),
};

export const SettingsSchema = Type.Object(
  {
    translation_delay_ms: Type.Integer({ description: 'mean job duration (TRANSLATION_DELAY)' }),
    translation_delay_jitter: Type.Number({
      description: 'real duration varies by up to ± this fraction of the mean',
    }),
    error_probability: Type.Number({ description: 'chance a job ends in error' }),
    seeded: Type.Boolean({ description: 'whether VT_SEED makes the random choices reproducible' }),
    store: Type.Union([Type.Literal('memory'), Type.Literal('sqlite'), Type.Literal('redis')]),
    retention_ms: Type.Integer({ description: 'how long finished jobs are kept' }),
    max_waiters: Type.Integer({ description: 'held long polls and streams per instance' }),
    max_wait_s: Type.Integer({ description: 'longest hold a long poll may ask for' }),
    sse_heartbeat_ms: Type.Integer({ description: 'interval of event-stream heartbeats' }),
  },
  { description: 'The simulation settings of this server (read-only)' },
);

export const StatsSchema = Type.Object(
  {
    now: Type.String({ format: 'date-time' }),
    since: Type.String({
      format: 'date-time',
      description: 'counting covers changes from this instant (window start, or server start)',
    }),
    bucket_ms: Type.Integer(),
    buckets: Type.Array(
      Type.Object({ start: Type.String({ format: 'date-time' }), ...CountsSchema }),
      { description: 'oldest first; the last bucket is the current, partial minute' },
    ),
    totals: Type.Object(CountsSchema),
  },
  { description: "Recent throughput and outcomes of the caller's jobs" },
);

const StatsQuery = Type.Object(
  {
    minutes: Type.Optional(
      Type.Integer({ minimum: 1, maximum: STATS_KEPT_MINUTES, default: STATS_DEFAULT_MINUTES }),
    ),
  },
  { additionalProperties: false },
);

/** A ring that counts every event the store writes from now on (built with the context). */
export function watchStats(store: Pick<Store, 'subscribe'>, clock: Clock): StatsRing {
  const ring = new StatsRing(clock.now());
  store.subscribe((notice) => ring.record(notice.event, clock.now()));
  return ring;
}

export function registerStatsRoutes(app: FastifyInstance, ctx: AppContext): void {
  const ring = ctx.stats;
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/v1/settings',
    {
      schema: {
        operationId: 'getSettings',
        summary: 'The simulation settings of this server (read-only)',
        tags: ['operations'],
        response: { 200: jsonResponse('The settings', SettingsSchema) },
      },
    },
    async (_request, reply): Promise<Static<typeof SettingsSchema>> => {
      void reply.header('cache-control', 'no-store');
      const c = ctx.config;
      return {
        translation_delay_ms: c.translationDelayMs,
        translation_delay_jitter: c.translationDelayJitter,
        error_probability: c.errorProbability,
        seeded: c.seed !== undefined,
        store: ctx.store.kind,
        retention_ms: c.retentionMs,
        max_waiters: c.maxWaiters,
        max_wait_s: MAX_WAIT_S,
        sse_heartbeat_ms: c.sseHeartbeatMs,
      };
    },
  );

  api.get(
    '/v1/stats',
    {
      schema: {
        operationId: 'getStats',
        summary: "Per-minute counts of the caller's created, completed, failed and canceled jobs",
        tags: ['operations'],
        querystring: StatsQuery,
        response: {
          200: jsonResponse('The counts', StatsSchema),
          ...problemResponses({ 400: '`invalid_request`: a wrong `minutes`' }),
        },
      },
    },
    async (request, reply): Promise<Static<typeof StatsSchema>> => {
      void reply.header('cache-control', 'no-store');
      const minutes = request.query.minutes ?? STATS_DEFAULT_MINUTES;
      const now = ctx.clock.now();
      const rows = ring.read(request.tenant, minutes, now);
      const totals = zero();
      const buckets = rows.map(({ startMs, counts }) => {
        for (const key of Object.keys(totals) as (keyof Counts)[]) totals[key] += counts[key];
        return { start: new Date(startMs).toISOString(), ...counts };
      });
      const windowStart = rows[0]?.startMs ?? now;
      return {
        now: new Date(now).toISOString(),
        since: new Date(Math.max(windowStart, ring.startedAt)).toISOString(),
        bucket_ms: MINUTE_MS,
        buckets,
        totals,
      };
    },
  );
}
