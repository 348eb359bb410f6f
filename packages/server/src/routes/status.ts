/**
 * `GET /status`: the original project's endpoint, byte-compatible. Without `job_id` it reports the
 * server's default job (drawn once, stored under a fixed id, so every instance agrees and the outcome
 * sticks); with `job_id` it reports any of the caller's jobs. `canceled` reads as "error" here.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../context.js';
import { getOwnRecord } from '../job-service.js';
import { problemResponses } from '../schemas/problem.js';
import { statusAt } from '../sim/job-model.js';
import { DEFAULT_JOB_ID } from '../sim/simulator.js';

export function registerStatusRoute(app: FastifyInstance, ctx: AppContext): void {
  app.get(
    '/status',
    {
      schema: {
        summary: "The original project's status endpoint",
        tags: ['compatibility'],
        querystring: Type.Object(
          { job_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            result: Type.Union([
              Type.Literal('pending'),
              Type.Literal('completed'),
              Type.Literal('error'),
            ]),
          }),
          ...problemResponses(400, 404, 429),
        },
      },
    },
    async (request, reply) => {
      const { job_id: jobId } = request.query as { job_id?: string };
      // Evaluated at the instant asked for (see job-service.ts, `readOwnJob`).
      const askedAt = ctx.clock.now();
      const record = await getOwnRecord(ctx, request.tenant, jobId ?? DEFAULT_JOB_ID);
      const status = statusAt(record, askedAt);
      void reply.header('cache-control', 'no-store');
      return { result: status === 'canceled' ? 'error' : status };
    },
  );
}
