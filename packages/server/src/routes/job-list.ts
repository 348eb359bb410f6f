/**
 * `GET /v1/jobs`: the tenant's jobs newest first with an opaque cursor, or — with `ids=` — a batch
 * of named jobs that can be long-polled as a set.
 */
import { createHash } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../context.js';
import { ProblemError } from '../errors.js';
import { JobList, ListJobsQuery } from '../schemas/job.js';
import { RequestHeaders } from '../openapi/headers.js';
import { emptyResponse, jsonResponse, problemResponses } from '../schemas/responses.js';
import { isTerminal, materialize, type Job } from '../sim/job-model.js';
import { WAIT_HEADERS } from './job-reply.js';
import { answerLongPoll } from './long-poll.js';
import { MAX_BATCH_READ_IDS } from '../store/types.js';

const DEFAULT_LIMIT = 20;

function encodeCursor(job: { createdAt: number; id: string }): string {
  return Buffer.from(JSON.stringify([job.createdAt, job.id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: number; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      Number.isSafeInteger(value[0]) &&
      typeof value[1] === 'string'
    ) {
      return { createdAt: value[0] as number, id: value[1] };
    }
  } catch {
    // fall through to the problem below
  }
  throw new ProblemError(
    'invalid_cursor',
    'cursor is not one this server gave out; start again without it',
  );
}

/** A weak ETag over the (id, version) set of a batch. */
function batchEtag(jobs: readonly Job[], notFound: readonly string[]): string {
  const hash = createHash('sha256');
  for (const j of jobs) hash.update(`${j.id}:${j.version};`);
  for (const id of notFound) hash.update(`${id}:-;`);
  return `W/"b-${hash.digest('base64url').slice(0, 22)}"`;
}

function parseIds(raw: string): string[] {
  const ids = [
    ...new Set(
      raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  if (ids.length === 0)
    throw new ProblemError('invalid_request', 'ids must name at least one job id');
  if (ids.length > MAX_BATCH_READ_IDS) {
    throw new ProblemError(
      'invalid_request',
      `ids names ${ids.length} jobs; at most ${MAX_BATCH_READ_IDS} are allowed`,
    );
  }
  if (ids.some((id) => id.length > 128))
    throw new ProblemError('invalid_request', 'ids has an id longer than 128 characters');
  return ids;
}

export function registerJobListRoutes(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const readBatch = async (tenant: string, ids: string[], notBefore: number) => {
    // Evaluated at the instant asked for (see job-service.ts, `readOwnJob`).
    const askedAt = ctx.clock.now();
    const records = await ctx.store.getJobs(ids);
    const now = Math.max(askedAt, notBefore);
    const byId = new Map(records.filter((r) => r.tenant === tenant).map((r) => [r.id, r]));
    const data: Job[] = [];
    const notFound: string[] = [];
    for (const id of ids) {
      const rec = byId.get(id);
      if (rec) data.push(materialize(rec, now));
      else notFound.push(id);
    }
    return { data, notFound, etag: batchEtag(data, notFound) };
  };

  api.get(
    '/v1/jobs',
    {
      schema: {
        operationId: 'listJobs',
        summary: 'List jobs newest first, or get (and long-poll) a batch with ids=',
        tags: ['jobs'],
        querystring: ListJobsQuery,
        headers: Type.Object({
          prefer: RequestHeaders.prefer,
          'if-none-match': RequestHeaders.ifNoneMatch,
        }),
        response: {
          200: jsonResponse(
            'A page of jobs, newest first; with `ids=`, the batch (with an ETag, after the hold when one was asked)',
            JobList,
            { ETag: false, ...WAIT_HEADERS },
          ),
          304: emptyResponse(
            'With `ids=`: the batch is still in the state `If-None-Match` names (after the hold, when one was asked)',
            { ETag: true, ...WAIT_HEADERS },
          ),
          ...problemResponses({
            400: '`invalid_request` (a query parameter is wrong) or `invalid_cursor` (a cursor this server did not give out)',
          }),
        },
      },
    },
    async (request, reply) => {
      const query = request.query;
      void reply.header('cache-control', 'no-store');
      if (query.ids !== undefined) {
        const ids = parseIds(query.ids);
        return answerLongPoll(ctx, request, reply, {
          jobIds: ids,
          queryWait: query.wait,
          read: (notBefore) => readBatch(request.tenant, ids, notBefore),
          etag: (batch) => batch.etag,
          baseline: (tags) => (tags?.length === 1 ? `W/${tags[0] ?? ''}` : undefined),
          // Nothing can change once every listed job has ended: answer now, never hold.
          isSettled: (batch) => batch.data.every((job) => isTerminal(job.status)),
          render: (batch) => ({ data: batch.data, next_cursor: null, not_found: batch.notFound }),
        });
      }
      const limit = query.limit ?? DEFAULT_LIMIT;
      const now = ctx.clock.now();
      const records = await ctx.store.listJobs({
        tenant: request.tenant,
        status: query.status,
        before: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
        limit: limit + 1,
        now,
      });
      const page = records.slice(0, limit);
      const lastRecord = page[page.length - 1];
      return reply.send({
        data: page.map((r) => materialize(r, now)),
        next_cursor: records.length > limit && lastRecord ? encodeCursor(lastRecord) : null,
      });
    },
  );
}
