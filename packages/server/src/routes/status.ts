/**
 * `GET /status`: the original project's endpoint, byte-compatible. Without `job_id` it reports the
 * job this server drew when it started (`ctx.defaultJob`: each start draws again, as the original
 * did); with `job_id` it reports any of the caller's jobs. `canceled` reads as "error" here.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../context.js';
import { getOwnRecord } from '../job-service.js';
import { problemResponses } from '../schemas/problem.js';
import { statusAt } from '../sim/job-model.js';

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
      const record =
        jobId === undefined ? ctx.defaultJob : await getOwnRecord(ctx, request.tenant, jobId);
      const status = statusAt(record, ctx.clock.now());
      void reply.header('cache-control', 'no-store');
      return { result: status === 'canceled' ? 'error' : status };
    },
  );
}
