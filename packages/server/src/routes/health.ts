/**
 * Liveness and readiness. Readiness fails while the scheduler is still catching up after a restart
 * (loading unfinished jobs, writing the steps missed while down), while the store does not answer,
 * and while the server closes; liveness only needs the process to answer.
 */
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
        summary:
          'Readiness: caught up after a restart, the store answers, and the server is not shutting down',
        tags: ['operations'],
        response: {
          200: jsonResponse(
            'Ready to serve',
            Type.Object({ status: Type.Literal('ready'), store: Type.String() }),
          ),
          ...problemResponses({
            503: '`catching_up` (after a restart, until the steps missed while down are written; with `Retry-After`), `store_unavailable` (the store does not answer within 2 s) or `shutting_down`',
          }),
        },
      },
    },
    async (request, reply) => {
      void reply.header('cache-control', 'no-store');
      if (ctx.waiters.isClosing)
        return sendProblem(request, reply, 'shutting_down', 'The server is shutting down');
      if (!ctx.scheduler.caughtUp) {
        void reply.header('retry-after', '1');
        return sendProblem(
          request,
          reply,
          'catching_up',
          'The server is loading its unfinished jobs and writing the steps missed while it was down',
        );
      }
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
