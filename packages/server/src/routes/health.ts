/** Liveness and readiness. Readiness fails while the store does not answer or the server closes. */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../context.js';
import { sendProblem } from '../plugins/error-handler.js';
import { jsonResponse, problemResponses } from '../schemas/responses.js';

const READY_CHECK_TIMEOUT_MS = 2000;

export function registerHealthRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'getHealth',
        summary: 'Liveness: the process answers',
        tags: ['operations'],
        response: {
          200: jsonResponse('The process is up', Type.Object({ status: Type.Literal('ok') })),
        },
      },
    },
    async (_request, reply) => {
      void reply.header('cache-control', 'no-store');
      return { status: 'ok' as const };
    },
  );

  app.get(
    '/readyz',
    {
      schema: {
        operationId: 'getReadiness',
        summary: 'Readiness: the store answers and the server is not shutting down',
        tags: ['operations'],
        response: {
          200: jsonResponse(
            'Ready to serve',
            Type.Object({ status: Type.Literal('ready'), store: Type.String() }),
          ),
          ...problemResponses({
            503: '`store_unavailable` (the store does not answer within 2 s) or `shutting_down`',
          }),
        },
      },
    },
    async (request, reply) => {
      void reply.header('cache-control', 'no-store');
      if (ctx.waiters.isClosing)
        return sendProblem(request, reply, 'shutting_down', 'The server is shutting down');
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          ctx.store.ping(),
          new Promise((_, reject) => {
            timer = setTimeout(
              () => reject(new Error('store ping timed out')),
              READY_CHECK_TIMEOUT_MS,
            );
          }),
        ]);
      } catch (err) {
        request.log.warn({ err }, 'readiness check failed');
        return sendProblem(
          request,
          reply,
          'store_unavailable',
          `The ${ctx.store.kind} store does not answer`,
        );
      } finally {
        clearTimeout(timer);
      }
      return { status: 'ready' as const, store: ctx.store.kind };
    },
  );
}
