/**
 * Server-Sent Events: one job's changes (`/v1/jobs/{id}/events`, ids = version, ends after the
 * terminal event) and all of a tenant's jobs (`/v1/events`, ids `<epochMs>-<seq>` from the event
 * log, so `Last-Event-ID` resumes exactly where a dropped stream stopped).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../context.js';
import { ProblemError } from '../errors.js';
import { SseStream } from '../http/sse.js';
import { getOwnRecord } from '../job-service.js';
import { JobIdParams } from '../schemas/job.js';
import { EVENT_FOR_STATUS } from '../sim/job-events.js';
import { problemResponses } from '../schemas/problem.js';
import { isTerminal, materialize } from '../sim/job-model.js';
import { compareEventIds, parseEventId, type StoredEvent } from '../store/types.js';
import type { JobNotice } from '../wait/hub.js';

const REPLAY_PAGE = 500;
const MAX_BUFFERED_BYTES = 1_048_576;
const RETRY_MS = 1000;

function lastEventId(request: FastifyRequest): string | undefined {
  const header = request.headers['last-event-id'];
  return typeof header === 'string' && header.length <= 64 ? header.trim() : undefined;
}

function openStream(ctx: AppContext, reply: FastifyReply): SseStream {
  const release = ctx.waiters.acquire('stream');
  if (!release) {
    throw new ProblemError('server_busy', 'Too many held requests and streams; retry shortly', {
      headers: { 'retry-after': '1' },
    });
  }
  const stream = new SseStream(reply, {
    heartbeatMs: ctx.config.sseHeartbeatMs,
    maxBufferedBytes: MAX_BUFFERED_BYTES,
    retryMs: RETRY_MS,
  });
  stream.onClose(release);
  const onShutdown = () => stream.close();
  ctx.waiters.shutdownSignal.addEventListener('abort', onShutdown, { once: true });
  stream.onClose(() => ctx.waiters.shutdownSignal.removeEventListener('abort', onShutdown));
  return stream;
}

export function registerEventRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get(
    '/v1/jobs/:id/events',
    {
      schema: {
        summary: "Stream one job's changes (Server-Sent Events); ends after the terminal event",
        tags: ['events'],
        params: JobIdParams,
        response: {
          200: Type.String({ description: 'text/event-stream' }),
          ...problemResponses(404, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      await getOwnRecord(ctx, request.tenant, id);
      const resumeVersion = Number(lastEventId(request) ?? 0) || 0;
      const stream = openStream(ctx, reply);
      let sent: { version: number; stage: string | null } | undefined;
      let chain = Promise.resolve();
      const update = (notBefore: number) => {
        chain = chain
          .then(async () => {
            if (stream.isClosed) return;
            // Evaluated at the instant asked for (see job-service.ts, `readOwnJob`).
            const askedAt = ctx.clock.now();
            const record = await ctx.store.getJob(id);
            if (!record) return stream.close();
            const job = materialize(record, Math.max(askedAt, notBefore));
            const changed = !sent || sent.version !== job.version || sent.stage !== job.stage;
            const alreadySeen = !sent && job.version <= resumeVersion && !isTerminal(job.status);
            if (changed && !alreadySeen)
              stream.send({
                id: String(job.version),
                event: EVENT_FOR_STATUS[job.status],
                data: job,
              });
            sent = { version: job.version, stage: job.stage };
            if (isTerminal(job.status)) stream.close();
          })
          .catch((err: unknown) => {
            request.log.warn({ err, jobId: id }, 'event stream read failed');
            stream.close();
          });
      };
      stream.onClose(ctx.hub.onJob(id, (notice: JobNotice) => update(notice.at)));
      update(0);
    },
  );

  app.get(
    '/v1/events',
    {
      schema: {
        summary:
          "Stream all of the caller's job events (Server-Sent Events); resumes with Last-Event-ID",
        tags: ['events'],
        response: {
          200: Type.String({ description: 'text/event-stream' }),
          ...problemResponses(429, 503),
        },
      },
    },
    async (request, reply) => {
      const resumeFrom = lastEventId(request);
      const stream = openStream(ctx, reply);
      let lastId = resumeFrom !== undefined && parseEventId(resumeFrom) ? resumeFrom : undefined;
      let replaying = lastId !== undefined;
      const buffered: StoredEvent[] = [];
      const deliver = (event: StoredEvent) => {
        if (lastId !== undefined && compareEventIds(event.id, lastId) <= 0) return;
        lastId = event.id;
        stream.send({ id: event.id, event: event.type, data: event.data });
      };
      // Subscribe before replaying so nothing written meanwhile is missed; duplicates are skipped.
      stream.onClose(
        ctx.hub.onTenant(request.tenant, (notice) => {
          if (!notice.event) return;
          if (replaying) buffered.push(notice.event);
          else deliver(notice.event);
        }),
      );
      stream.comment('connected');
      try {
        while (replaying && !stream.isClosed) {
          const page = await ctx.store.readEvents(request.tenant, lastId, REPLAY_PAGE);
          for (const event of page) deliver(event);
          if (page.length < REPLAY_PAGE) replaying = false;
          // At the consumer's pace: a backlog written at once would trip the slow-consumer limit.
          else await stream.drained();
        }
      } catch (err) {
        request.log.warn({ err }, 'event replay failed');
        stream.close();
        return;
      }
      replaying = false;
      buffered.sort((a, b) => compareEventIds(a.id, b.id));
      for (const event of buffered.splice(0)) deliver(event);
    },
  );
}
