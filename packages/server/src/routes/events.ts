/**
 * Server-Sent Events: one job's changes (`/v1/jobs/{id}/events`: ids are the job's lifecycle step,
 * 0–5 for the stages and 6 for the terminal event, after which the stream ends; a reconnect that
 * already has the terminal event gets 204) and all of a tenant's jobs (`/v1/events`: ids
 * `<epochMs>-<seq>` from the event log, so `Last-Event-ID` resumes exactly where a dropped stream
 * stopped).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../context.js';
import { ProblemError } from '../errors.js';
import { SseStream } from '../http/sse.js';
import { getOwnRecord } from '../job-service.js';
import { JobIdParams } from '../schemas/job.js';
import { EVENT_FOR_STATUS, stepOf } from '../sim/job-events.js';
import { JobStreamEvent, TenantStreamEvent } from '../schemas/events.js';
import { emptyResponse, eventStreamResponse, problemResponses } from '../schemas/responses.js';
import { isTerminal, materialize, TERMINAL_STEP } from '../sim/job-model.js';
import { compareEventIds, parseEventId, type StoredEvent } from '../store/types.js';
import type { JobNotice } from '../wait/hub.js';

const REPLAY_PAGE = 500;
const MAX_BUFFERED_BYTES = 1_048_576;
const RETRY_MS = 1000;

function lastEventId(request: FastifyRequest): string | undefined {
  const header = request.headers['last-event-id'];
  return typeof header === 'string' && header.length <= 64 ? header.trim() : undefined;
}

/** A per-job stream's `Last-Event-ID`: the step the caller saw last; anything else is ignored. */
function resumeStepFrom(header: string | undefined): number | undefined {
  return header !== undefined && /^\d{1,9}$/.test(header) ? Number(header) : undefined;
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
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.get(
    '/v1/jobs/:id/events',
    {
      schema: {
        operationId: 'streamJobEvents',
        summary: "Stream one job's changes (Server-Sent Events); ends after the terminal event",
        description:
          'Opens with the job as it is now, then one event per change. Event ids are the lifecycle step: 0–5 for the stages (`job.updated`), 6 for the terminal event (`job.completed`, `job.failed` or `job.canceled`), after which the stream ends. The stream starts with `retry: 1000` and sends `: heartbeat` comments (VT_SSE_HEARTBEAT). A reconnect with `Last-Event-ID` gets only the later steps; one at or past 6 once the job ended gets 204.',
        tags: ['events'],
        params: JobIdParams,
        headers: Type.Object({
          'last-event-id': Type.Optional(
            Type.String({
              description:
                'The last event id received (a step, 0–6): the steps up to it are not sent again; 6 or more once the job ended answers 204. Anything else is ignored',
              examples: ['2'],
            }),
          ),
        }),
        response: {
          200: eventStreamResponse(
            'The job’s events, ending after the terminal one',
            JobStreamEvent,
          ),
          204: emptyResponse(
            'The job ended and `Last-Event-ID` is at or past its terminal event: nothing more will come (an EventSource stops reconnecting)',
          ),
          ...problemResponses({
            400: '`invalid_request`: a malformed id',
            404: '`job_not_found`: no job with this id is yours',
            503: '`server_busy`: too many held requests and streams (VT_MAX_WAITERS, or VT_MAX_WAITERS_PER_KEY for this caller); `Retry-After: 1`',
          }),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const record = await getOwnRecord(ctx, request.tenant, id);
      const resumeStep = resumeStepFrom(lastEventId(request));
      if (
        resumeStep !== undefined &&
        resumeStep >= TERMINAL_STEP &&
        isTerminal(materialize(record, ctx.clock.now()).status)
      ) {
        // The caller has the terminal event: nothing will follow. A 204 tells an EventSource to
        // stop reconnecting (the SSE standard's way).
        return reply.code(204).header('cache-control', 'no-store').send(null);
      }
      const stream = openStream(ctx, reply);
      let sentStep: number | undefined;
      let chain = Promise.resolve();
      const update = (notBefore: number) => {
        chain = chain
          .then(async () => {
            if (stream.isClosed) return;
            // Evaluated at the instant asked for (see job-service.ts, `readOwnJob`).
            const askedAt = ctx.clock.now();
            const current = await ctx.store.getJob(id);
            if (!current) return stream.close();
            const job = materialize(current, Math.max(askedAt, notBefore));
            const step = stepOf(job);
            // A change is a new step; one the caller saw before reconnecting is not sent again.
            if (step !== sentStep && (resumeStep === undefined || step > resumeStep)) {
              stream.send({ id: String(step), event: EVENT_FOR_STATUS[job.status], data: job });
            }
            sentStep = step;
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

  api.get(
    '/v1/events',
    {
      schema: {
        operationId: 'streamEvents',
        summary:
          "Stream all of the caller's job events (Server-Sent Events); resumes with Last-Event-ID",
        description:
          'Every `job.created`, `job.updated`, `job.completed`, `job.failed` and `job.canceled` of the caller’s jobs from now on, with ids `<epochMs>-<seq>` from the event log. The stream starts with `retry: 1000` and a `: connected` comment and sends `: heartbeat` comments; it never ends by itself. A reconnect with `Last-Event-ID` first replays every later event from the log (no duplicates, no gaps while the log keeps them, VT_RETENTION).',
        tags: ['events'],
        headers: Type.Object({
          'last-event-id': Type.Optional(
            Type.String({
              description:
                'The last event id received (`<epochMs>-<seq>`): the stream replays every later event first. Anything else is ignored',
              examples: ['1767225600000-42'],
            }),
          ),
        }),
        response: {
          200: eventStreamResponse('The caller’s job events', TenantStreamEvent),
          ...problemResponses({
            503: '`server_busy`: too many held requests and streams (VT_MAX_WAITERS, or VT_MAX_WAITERS_PER_KEY for this caller); `Retry-After: 1`',
          }),
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
