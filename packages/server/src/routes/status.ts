/**
 * `GET /status`: the original project's endpoint, byte-compatible. Without `job_id` it reports the
 * job this server drew when it started (`ctx.defaultJob`: each start draws again, as the original
 * did); with `job_id` it reports any of the caller's jobs. `canceled` reads as "error" here.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { stringEnum } from '../schemas/literal-union.js';
import type { AppContext } from '../context.js';
import { getOwnRecord } from '../job-service.js';
import { jsonResponse, problemResponses } from '../schemas/responses.js';
import { statusAt } from '../sim/job-model.js';

export function registerStatusRoute(app: FastifyInstance, ctx: AppContext): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/status',
    {
      schema: {
        operationId: 'getStatus',
        summary: "The original project's status endpoint",
        description:
          "Without `job_id`, the server's default job (drawn at start); with it, any of your jobs (then, with API keys, a key is needed). A canceled job reads as `error`.",
        tags: ['compatibility'],
        querystring: Type.Object(
          { job_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) },
          { additionalProperties: false },
        ),
        response: {
          200: jsonResponse(
            'The status, in the original project’s words',
            Type.Object({
              result: stringEnum(['pending', 'completed', 'error']),
            }),
          ),
          ...problemResponses({
            400: '`invalid_request`: a malformed query',
            404: '`job_not_found`: no job with this id is yours',
          }),
        },
      },
    },
    async (request, reply) => {
      const { job_id: jobId } = request.query;
      // Evaluated at the instant asked for (see job-service.ts, `readOwnJob`).
      const askedAt = ctx.clock.now();
      const record =
        jobId === undefined ? ctx.defaultJob : await getOwnRecord(ctx, request.tenant, jobId);
      const status = statusAt(record, askedAt);
      void reply.header('cache-control', 'no-store');
      return { result: status === 'canceled' ? 'error' : status };
    },
  );
}
