/**
 * `GET /v1/jobs`: the tenant's jobs newest first with an opaque cursor, or — with `ids=` — a batch
 * of named jobs that can be long-polled as a set.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { Type } from 'typebox';
import type { AppContext } from '../context.js';
import { ProblemError } from '../errors.js';
import { etagMatches, parseIfNoneMatch } from '../http/conditional.js';
import { JobBatch, JobPage, ListJobsQuery } from '../schemas/job.js';
import { problemResponses } from '../schemas/problem.js';
import { isTerminal, materialize, type Job } from '../sim/job-model.js';
import { holdForChange } from '../wait/hold.js';
import { disconnectSignal, requestedWaitS, setWaitHeaders } from './job-reply.js';

const MAX_BATCH_IDS = 100;
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
  if (ids.length > MAX_BATCH_IDS) {
    throw new ProblemError(
      'invalid_request',
      `ids names ${ids.length} jobs; at most ${MAX_BATCH_IDS} are allowed`,
    );
  }
  if (ids.some((id) => id.length > 128))
    throw new ProblemError('invalid_request', 'ids has an id longer than 128 characters');
  return ids;
}

export function registerJobListRoutes(app: FastifyInstance, ctx: AppContext): void {
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

  app.get(
    '/v1/jobs',
    {
      schema: {
        summary: 'List jobs newest first, or get (and long-poll) a batch with ids=',
        tags: ['jobs'],
        querystring: ListJobsQuery,
        response: {
          // The batch first: the serializer takes the first schema that matches, and a page
          // schema would strip the batch's not_found.
          200: Type.Union([JobBatch, JobPage]),
          304: Type.Null(),
          ...problemResponses(400, 429),
        },
      },
    },
    async (request, reply) => {
      const query = request.query as Static<typeof ListJobsQuery>;
      void reply.header('cache-control', 'no-store');
      if (query.ids !== undefined) {
        const ids = parseIds(query.ids);
        const tags = parseIfNoneMatch(request.headers['if-none-match']);
        const waitS = requestedWaitS(request, query.wait);
        const release = waitS ? ctx.waiters.acquire('hold') : undefined;
        let batch: Awaited<ReturnType<typeof readBatch>>;
        try {
          if (release && waitS) {
            let baseline = tags?.length === 1 ? `W/${tags[0] ?? ''}` : undefined;
            let last: typeof batch | undefined;
            const answer = await holdForChange({
              hub: ctx.hub,
              jobIds: ids,
              waitMs: waitS * 1000,
              signals: [ctx.waiters.shutdownSignal, disconnectSignal(reply)],
              check: async (notBefore) => {
                last = await readBatch(request.tenant, ids, notBefore);
                baseline ??= last.etag;
                // Nothing can change once every listed job has ended: answer now, never hold.
                const settled = last.data.every((job) => isTerminal(job.status));
                return last.etag !== baseline || settled ? last : undefined;
              },
            });
            batch = answer ?? (last as typeof batch);
          } else {
            batch = await readBatch(request.tenant, ids, 0);
          }
        } finally {
          release?.();
        }
        void reply.header('etag', batch.etag);
        if (waitS !== undefined) setWaitHeaders(reply, release || waitS === 0 ? waitS : undefined);
        if (etagMatches(tags, batch.etag)) return reply.code(304).send();
        return reply.send({ data: batch.data, next_cursor: null, not_found: batch.notFound });
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
