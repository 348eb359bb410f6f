/**
 * `GET /v1/settings` (the simulation settings, read-only) and `GET /v1/stats` (per-minute counts of
 * created, completed, failed and canceled jobs for the caller's tenant, read from the context's
 * `StatsRing`, see `stats-ring.ts`).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { stringEnum } from '../schemas/literal-union.js';
import type { AppContext } from '../context.js';
import { MAX_WAIT_S } from '../http/conditional.js';
import { jsonResponse, problemResponses } from '../schemas/responses.js';
import {
  STATS_BUCKET_MS,
  STATS_DEFAULT_MINUTES,
  STATS_KEPT_MINUTES,
  zeroCounts,
  type Counts,
} from '../stats-ring.js';

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
    store: stringEnum(['memory', 'sqlite', 'redis']),
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
      const totals = zeroCounts();
      const buckets = rows.map(({ startMs, counts }) => {
        for (const key of Object.keys(totals) as (keyof Counts)[]) totals[key] += counts[key];
        return { start: new Date(startMs).toISOString(), ...counts };
      });
      const windowStart = rows[0]?.startMs ?? now;
      return {
        now: new Date(now).toISOString(),
        since: new Date(Math.max(windowStart, ring.startedAt)).toISOString(),
        bucket_ms: STATS_BUCKET_MS,
        buckets,
        totals,
      };
    },
  );
}
