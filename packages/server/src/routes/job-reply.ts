/** Shared pieces of answering with jobs: cache headers, poll hints and the wait preference. */
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { jobEtag, MAX_WAIT_S, parsePreferWait, retryAfterSeconds } from '../http/conditional.js';
import type { Job } from '../sim/job-model.js';
import type { EndSignal } from '../wait/hold.js';

/** The headers {@link setJobHeaders} sets, for the API description (`true`: always). */
export const JOB_HEADERS = { ETag: true, 'Retry-After': false } as const;

/** The headers {@link setWaitHeaders} may set, for the API description. */
export const WAIT_HEADERS = { 'Preference-Applied': false, Vary: false } as const;

/** Sets the headers every single-job answer carries. */
export function setJobHeaders(reply: FastifyReply, job: Job, now: number): void {
  void reply.header('etag', jobEtag(job.version));
  void reply.header('cache-control', 'no-store');
  if (job.status === 'pending' && job.eta !== null) {
    void reply.header('retry-after', String(retryAfterSeconds(Date.parse(job.eta), now)));
  }
}

/**
 * The hold a request asks for, in seconds (capped), or `undefined` when it asks none.
 * `?wait=` wins over `Prefer: wait=`; a malformed `?wait` was already refused by the schema.
 */
export function requestedWaitS(
  request: FastifyRequest,
  queryWait: number | undefined,
): number | undefined {
  const asked = queryWait ?? parsePreferWait(request.headers.prefer);
  return asked === undefined ? undefined : Math.min(asked, MAX_WAIT_S);
}

/** Marks an answer as having applied (or not) the wait preference (RFC 7240 §3). */
export function setWaitHeaders(reply: FastifyReply, appliedS: number | undefined): void {
  // Append: CORS may already vary the answer by Origin.
  const vary = reply.getHeader('vary');
  void reply.header('vary', vary ? `${String(vary)}, Prefer` : 'Prefer');
  if (appliedS !== undefined) void reply.header('preference-applied', `wait=${appliedS}`);
}

/**
 * Ends a hold when the client goes away before the answer: its response closes unfinished. A plain
 * listener on the response — no AbortController, no `once` wrapper — as thousands of requests may
 * hold at once.
 */
class ClientGone implements EndSignal {
  constructor(private readonly res: ServerResponse) {}

  get aborted(): boolean {
    return this.res.closed && !this.res.writableFinished;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    this.res.on('close', listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    this.res.removeListener('close', listener);
  }
}

/** Ends a hold when the client goes away before the answer, so a held request stops holding. */
export function disconnectSignal(reply: FastifyReply): EndSignal {
  return new ClientGone(reply.raw);
}
