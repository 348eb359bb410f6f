/**
 * Webhook routes: the tenant's signing secret (read, rotate) and a job's delivery log. Also the
 * creation-time guard on `callback_url` for `POST /v1/jobs`, as a hook so the job routes stay
 * unaware of webhooks.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { routePattern } from '../http/route-pattern.js';
import { Type } from 'typebox';
import type { AppContext } from '../context.js';
import { ProblemError } from '../errors.js';
import { getOwnRecord } from '../job-service.js';
import { JobIdParams } from '../schemas/job.js';
import { literalUnion } from '../schemas/literal-union.js';
import { jsonResponse, problemResponses } from '../schemas/responses.js';
import {
  DELIVERY_STATES,
  EVENT_TYPES,
  type DeliveryWithAttempts,
  type WebhookSecretSet,
} from '../store/types.js';
import { callbackUrlProblem } from '../webhooks/address-guard.js';
import { DEFAULT_ROTATION_GRACE_MS, MAX_ROTATION_GRACE_MS } from '../webhooks/secrets.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

const SecretResponse = Type.Object({
  secret: Type.String({ description: 'Signs every delivery: `whsec_` + base64' }),
  previous_secret: Nullable(Type.String({ description: 'Also signs until previous_expires_at' })),
  previous_expires_at: Nullable(Type.String({ format: 'date-time' })),
});

const RotateBody = Type.Object(
  {
    grace_period_ms: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_ROTATION_GRACE_MS,
        description: 'How long the previous secret keeps signing (default 24 h)',
      }),
    ),
  },
  { additionalProperties: false },
);

const AttemptSchema = Type.Object({
  attempt: Type.Integer({ minimum: 1 }),
  at: Type.String({ format: 'date-time' }),
  status_code: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  duration_ms: Type.Integer({ minimum: 0 }),
  next_attempt_at: Nullable(Type.String({ format: 'date-time' })),
});

const DeliverySchema = Type.Object({
  id: Type.String({ description: 'The webhook-id header, the same on every attempt' }),
  event_type: literalUnion(EVENT_TYPES),
  url: Type.String(),
  state: literalUnion(DELIVERY_STATES),
  attempts: Type.Integer({ minimum: 0 }),
  created_at: Type.String({ format: 'date-time' }),
  next_attempt_at: Nullable(Type.String({ format: 'date-time' })),
  history: Type.Array(AttemptSchema),
});

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

function secretView(set: WebhookSecretSet, now: number) {
  const isPreviousLive =
    set.previous !== null && set.previousExpiresAt !== null && set.previousExpiresAt > now;
  return {
    secret: set.current,
    previous_secret: isPreviousLive ? set.previous : null,
    previous_expires_at: isPreviousLive ? isoOrNull(set.previousExpiresAt) : null,
  };
}

function deliveryView(d: DeliveryWithAttempts) {
  return {
    id: d.id,
    event_type: d.eventType,
    url: d.url,
    state: d.state,
    attempts: d.attempts,
    created_at: iso(d.createdAt),
    next_attempt_at: isoOrNull(d.nextAttemptAt),
    history: d.history.map((a) => ({
      attempt: a.attempt,
      at: iso(a.at),
      status_code: a.statusCode,
      error: a.error,
      duration_ms: a.durationMs,
      next_attempt_at: isoOrNull(a.nextAttemptAt),
    })),
  };
}

export function registerWebhookRoutes(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  // After validation, before the job is drawn: refuse callback URLs the SSRF guard would refuse.
  // Callback style, not async: it runs on every API route, so no promise per request.
  app.addHook('preHandler', (request, _reply, done) => {
    if (request.method !== 'POST' || routePattern(request) !== '/v1/jobs') return done();
    const url = (request.body as { callback_url?: unknown } | undefined)?.callback_url;
    const problem =
      typeof url === 'string' ? callbackUrlProblem(url, ctx.config.webhookAllowHosts) : undefined;
    if (!problem) return done();
    done(
      new ProblemError('invalid_callback_url', `callback_url ${problem}`, {
        errors: [{ path: 'body.callback_url', message: problem }],
      }),
    );
  });

  api.get(
    '/v1/webhooks/secret',
    {
      schema: {
        operationId: 'getWebhookSecret',
        summary: 'The secret that signs your webhooks (and the previous one during a rotation)',
        tags: ['webhooks'],
        response: { 200: jsonResponse('The signing secrets', SecretResponse) },
      },
    },
    async (request, reply) => {
      const set = await ctx.webhooks.secrets.get(request.tenant);
      return reply.header('cache-control', 'no-store').send(secretView(set, ctx.clock.now()));
    },
  );

  api.post(
    '/v1/webhooks/secret/rotate',
    {
      schema: {
        operationId: 'rotateWebhookSecret',
        summary: 'Rotate the webhook secret; the previous one keeps signing for a grace period',
        tags: ['webhooks'],
        body: RotateBody,
        response: {
          200: jsonResponse(
            'The new secret, and the previous one until it expires',
            SecretResponse,
          ),
          ...problemResponses({
            400: '`invalid_request`: a wrong `grace_period_ms`',
            403: '`forbidden`: VT_WEBHOOK_SECRET sets this secret; change the variable instead',
          }),
        },
      },
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      if (ctx.webhooks.secrets.isConfigured(request.tenant)) {
        throw new ProblemError(
          'forbidden',
          'This secret is set by VT_WEBHOOK_SECRET; change the variable and restart to rotate it',
        );
      }
      const { grace_period_ms: graceMs = DEFAULT_ROTATION_GRACE_MS } = request.body;
      const set = await ctx.webhooks.secrets.rotate(request.tenant, graceMs);
      return reply.header('cache-control', 'no-store').send(secretView(set, ctx.clock.now()));
    },
  );

  api.get(
    '/v1/jobs/:id/deliveries',
    {
      schema: {
        operationId: 'listJobDeliveries',
        summary: "A job's webhook deliveries and every attempt",
        tags: ['webhooks'],
        params: JobIdParams,
        response: {
          200: jsonResponse(
            'The deliveries, oldest first',
            Type.Object({ data: Type.Array(DeliverySchema) }),
          ),
          ...problemResponses({
            400: '`invalid_request`: a malformed id',
            404: '`job_not_found`: no job with this id is yours',
          }),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await getOwnRecord(ctx, request.tenant, id);
      const deliveries = await ctx.store.listDeliveries(id);
      return reply.header('cache-control', 'no-store').send({ data: deliveries.map(deliveryView) });
    },
  );
}
