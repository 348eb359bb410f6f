/** Create, read (with long polling) and cancel one job. */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../context.js';
import { ProblemError } from '../errors.js';
import { etagMatches, jobEtag, parseIfNoneMatch, versionFromTags } from '../http/conditional.js';
import { cancelJob, createJob, readOwnJob } from '../job-service.js';
import { CreateJobBody, JobIdParams, WaitQuery } from '../schemas/job.js';
import { problemResponses } from '../schemas/problem.js';
import { isTerminal, type Job } from '../sim/job-model.js';
import { typeErrors } from '../http/strict-types.js';
import { holdForChange } from '../wait/hold.js';
import { disconnectSignal, requestedWaitS, setJobHeaders, setWaitHeaders } from './job-reply.js';

const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export function registerJobRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post(
    '/v1/jobs',
    {
      schema: {
        summary: 'Create a translation job',
        tags: ['jobs'],
        body: CreateJobBody,
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
        response: { 201: Type.Ref('Job'), ...problemResponses(400, 413, 415, 422, 429) },
      },
      preValidation: async (request) => {
        // Fastify parses text/plain into a string; this API speaks JSON only, so say 415 rather
        // than a confusing "body must be object".
        if (typeof request.body === 'string') {
          throw new ProblemError(
            'unsupported_media_type',
            'POST /v1/jobs takes an application/json body (or none)',
          );
        }
        // An empty body is an empty job request.
        request.body ??= {};
        // A JSON body is taken as typed: no coercion of `true` into "true" or 1.
        const wrongTypes = typeErrors(CreateJobBody, request.body);
        if (wrongTypes.length > 0) {
          throw Object.assign(new Error('The body has values of the wrong type'), {
            statusCode: 400,
            validation: wrongTypes,
            validationContext: 'body',
          });
        }
      },
    },
    async (request, reply) => {
      const header = request.headers['idempotency-key'];
      const key = Array.isArray(header) ? header.join(',') : header;
      if (key !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(key)) {
        throw new ProblemError(
          'invalid_request',
          'Idempotency-Key must be 1 to 255 visible ASCII characters',
        );
      }
      const { job, replayed } = await createJob(ctx, request.tenant, request.body as never, key);
      setJobHeaders(reply, job, ctx.clock.now());
      void reply.header('location', `/v1/jobs/${job.id}`);
      if (replayed) void reply.header('idempotent-replayed', 'true');
      return reply.code(201).send(job);
    },
  );

  app.get(
    '/v1/jobs/:id',
    {
      schema: {
        summary: 'Get a job; with Prefer: wait=N, hold until its status changes',
        tags: ['jobs'],
        params: JobIdParams,
        querystring: WaitQuery,
        response: { 200: Type.Ref('Job'), 304: Type.Null(), ...problemResponses(400, 404, 429) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const waitS = requestedWaitS(request, (request.query as { wait?: number }).wait);
      const tags = parseIfNoneMatch(request.headers['if-none-match']);
      const release = waitS ? ctx.waiters.acquire('hold') : undefined;
      let job: Job;
      try {
        if (release && waitS) {
          let baseline = versionFromTags(tags);
          let last: Job | undefined;
          const answer = await holdForChange({
            hub: ctx.hub,
            jobIds: [id],
            waitMs: waitS * 1000,
            signals: [ctx.waiters.shutdownSignal, disconnectSignal(reply)],
            check: async (notBefore) => {
              last = await readOwnJob(ctx, request.tenant, id, notBefore);
              baseline ??= last.version;
              return last.version !== baseline || isTerminal(last.status) ? last : undefined;
            },
          });
          job = answer ?? (last as Job);
        } else {
          job = await readOwnJob(ctx, request.tenant, id);
        }
      } finally {
        release?.();
      }
      setJobHeaders(reply, job, ctx.clock.now());
      if (waitS !== undefined) setWaitHeaders(reply, release || waitS === 0 ? waitS : undefined);
      if (etagMatches(tags, jobEtag(job.version))) return reply.code(304).send();
      return reply.send(job);
    },
  );

  app.post(
    '/v1/jobs/:id/cancel',
    {
      schema: {
        summary: 'Cancel a pending job (safe to retry)',
        tags: ['jobs'],
        params: JobIdParams,
        response: { 200: Type.Ref('Job'), ...problemResponses(404, 409, 429) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const job = await cancelJob(ctx, request.tenant, id);
      setJobHeaders(reply, job, ctx.clock.now());
      return reply.send(job);
    },
  );
}
