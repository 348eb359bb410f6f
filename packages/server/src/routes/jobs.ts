/** Create, read (with long polling) and cancel one job. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../context.js';
import { ProblemError } from '../errors.js';
import { jobEtag, versionFromTags } from '../http/conditional.js';
import { cancelJob, createJob, readOwnJob } from '../job-service.js';
import { CreateJobBody, JobIdParams, WaitQuery } from '../schemas/job.js';
import { RequestHeaders } from '../openapi/headers.js';
import { emptyResponse, jsonResponse, problemResponses } from '../schemas/responses.js';
import { isTerminal } from '../sim/job-model.js';
import { typeErrors } from '../http/strict-types.js';
import { JOB_HEADERS, setJobHeaders, WAIT_HEADERS } from './job-reply.js';
import { answerLongPoll } from './long-poll.js';

const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export function registerJobRoutes(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.post(
    '/v1/jobs',
    {
      schema: {
        operationId: 'createJob',
        summary: 'Create a translation job',
        tags: ['jobs'],
        body: CreateJobBody,
        headers: Type.Object({ 'idempotency-key': RequestHeaders.idempotencyKey }),
        response: {
          201: jsonResponse(
            'The job, created; for a replayed `Idempotency-Key`, the first answer again',
            Type.Ref('Job'),
            { Location: true, ETag: true, 'Retry-After': false, 'Idempotent-Replayed': false },
          ),
          ...problemResponses({
            400: '`invalid_request` (a field or the `Idempotency-Key` is wrong; `errors` names each) or `invalid_callback_url`',
            422: '`idempotency_key_reused`: this `Idempotency-Key` came with another body',
          }),
        },
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
      const { job, replayed } = await createJob(ctx, request.tenant, request.body, key);
      setJobHeaders(reply, job, ctx.clock.now());
      void reply.header('location', `/v1/jobs/${job.id}`);
      if (replayed) void reply.header('idempotent-replayed', 'true');
      return reply.code(201).send(job);
    },
  );

  api.get(
    '/v1/jobs/:id',
    {
      schema: {
        operationId: 'getJob',
        summary: 'Get a job; with Prefer: wait=N, hold until its status changes',
        tags: ['jobs'],
        params: JobIdParams,
        querystring: WaitQuery,
        headers: Type.Object({
          prefer: RequestHeaders.prefer,
          'if-none-match': RequestHeaders.ifNoneMatch,
        }),
        response: {
          200: jsonResponse('The job (after the hold, when one was asked)', Type.Ref('Job'), {
            ...JOB_HEADERS,
            ...WAIT_HEADERS,
          }),
          304: emptyResponse(
            'Not modified: the job is still in the state `If-None-Match` names (after the hold, when one was asked)',
            { ...JOB_HEADERS, ...WAIT_HEADERS },
          ),
          ...problemResponses({
            400: '`invalid_request`: a malformed id or `wait`',
            404: '`job_not_found`: no job with this id is yours',
          }),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      return answerLongPoll(ctx, request, reply, {
        jobIds: [id],
        queryWait: request.query.wait,
        read: (notBefore) => readOwnJob(ctx, request.tenant, id, notBefore),
        etag: (job) => jobEtag(job.version),
        baseline: (tags) => {
          const version = versionFromTags(tags);
          return version === undefined ? undefined : jobEtag(version);
        },
        isSettled: (job) => isTerminal(job.status),
        render: (job) => {
          setJobHeaders(reply, job, ctx.clock.now());
          return job;
        },
      });
    },
  );

  api.post(
    '/v1/jobs/:id/cancel',
    {
      schema: {
        operationId: 'cancelJob',
        summary: 'Cancel a pending job (safe to retry)',
        tags: ['jobs'],
        params: JobIdParams,
        response: {
          200: jsonResponse('The job, canceled (also when it already was)', Type.Ref('Job'), {
            ETag: true,
          }),
          ...problemResponses({
            400: '`invalid_request`: a malformed id',
            404: '`job_not_found`: no job with this id is yours',
            409: "`job_not_cancelable`: the job already completed or failed, or it is the server's default job",
          }),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const job = await cancelJob(ctx, request.tenant, id);
      setJobHeaders(reply, job, ctx.clock.now());
      return reply.send(job);
    },
  );
}
