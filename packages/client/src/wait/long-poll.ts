import {
  parsePreferenceAppliedWaitS,
  parseRetryAfterMs,
  formatJobEtag,
} from '../internal/headers.js';
import { requestJson, type ClientContext } from '../internal/http.js';
import { parseBatch, parseJob } from '../internal/parse.js';
import type { Job } from '../types/job.js';

const MS_PER_S = 1000;
const NOT_MODIFIED = 304;

/** The outcome of one (possibly held) status request. */
export interface StatusAnswer {
  readonly status: number;
  readonly jobs: readonly Job[];
  readonly notFound: readonly string[];
  /** Whether the server confirmed the hold (`Preference-Applied: wait=N`). */
  readonly isHoldApplied: boolean;
  readonly retryAfterMs: number | undefined;
  readonly etag: string | undefined;
}

/** What one status request asks for. */
export interface StatusQuery {
  /** Seconds the server may hold the request; 0 asks for an immediate answer. */
  holdS: number;
  /** `If-None-Match` to send with the hold. */
  ifNoneMatch: string | undefined;
  signal: AbortSignal;
}

function holdHeaders(query: StatusQuery): Record<string, string> {
  if (query.holdS <= 0) return {};
  const headers: Record<string, string> = { prefer: `wait=${query.holdS}` };
  if (query.ifNoneMatch !== undefined) headers['if-none-match'] = query.ifNoneMatch;
  return headers;
}

/** `GET /v1/jobs/{id}`, long-polled when `holdS > 0` (timeout = hold + `requestTimeoutMs`). */
export async function fetchJobStatus(
  ctx: ClientContext,
  id: string,
  query: StatusQuery,
): Promise<StatusAnswer> {
  const response = await requestJson(ctx, {
    method: 'GET',
    path: `v1/jobs/${encodeURIComponent(id)}`,
    headers: holdHeaders(query),
    signal: query.signal,
    timeoutMs: query.holdS * MS_PER_S + ctx.options.requestTimeoutMs,
  });
  return {
    status: response.status,
    jobs: response.status === NOT_MODIFIED ? [] : [parseJob(response)],
    notFound: [],
    isHoldApplied:
      parsePreferenceAppliedWaitS(response.headers.get('preference-applied')) !== undefined,
    retryAfterMs: parseRetryAfterMs(response.headers.get('retry-after'), ctx.clock.now()),
    etag: response.headers.get('etag') ?? undefined,
  };
}

/** `GET /v1/jobs?ids=…` (≤ 100 ids), long-polled when `holdS > 0`. */
export async function fetchBatchStatus(
  ctx: ClientContext,
  ids: readonly string[],
  query: StatusQuery,
): Promise<StatusAnswer> {
  const response = await requestJson(ctx, {
    method: 'GET',
    path: 'v1/jobs',
    query: { ids: ids.join(',') },
    headers: holdHeaders(query),
    signal: query.signal,
    timeoutMs: query.holdS * MS_PER_S + ctx.options.requestTimeoutMs,
  });
  const batch =
    response.status === NOT_MODIFIED ? { data: [], notFound: [] } : parseBatch(response, ids);
  return {
    status: response.status,
    jobs: batch.data,
    notFound: batch.notFound,
    isHoldApplied:
      parsePreferenceAppliedWaitS(response.headers.get('preference-applied')) !== undefined,
    retryAfterMs: parseRetryAfterMs(response.headers.get('retry-after'), ctx.clock.now()),
    etag: response.headers.get('etag') ?? undefined,
  };
}

/** The `If-None-Match` for a single job: its last version, or 1 (every job starts pending at 1). */
export function jobIfNoneMatch(lastJob: Job | undefined): string {
  return formatJobEtag(lastJob?.version ?? 1);
}
