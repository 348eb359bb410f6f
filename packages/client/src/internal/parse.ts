import { MalformedResponseError } from '../errors/malformed-response-error.js';
import type { Job, JobPage, StatusResponse } from '../types/job.js';
import type { JsonResponse } from './http.js';
import { describeTarget } from './network-failure.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function malformed(what: string, response: JsonResponse): MalformedResponseError {
  const { target } = response;
  return new MalformedResponseError(
    `Expected ${what} in the answer from ${target.url.origin} to ${describeTarget(target)}`,
    { status: response.status, requestId: response.requestId, url: target.url.href },
  );
}

/** Whether `value` has the fields the client relies on (id, status, version). */
export function isJobLike(value: unknown): value is Job {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.status === 'string' &&
    typeof value.version === 'number'
  );
}

/** The job in an answer, or `MalformedResponseError`. */
export function parseJob(response: JsonResponse): Job {
  if (!isJobLike(response.body)) throw malformed('a job', response);
  return response.body;
}

/** The page in an answer to `GET /v1/jobs`. */
export function parseJobPage(response: JsonResponse): JobPage {
  const { body } = response;
  if (!isRecord(body) || !Array.isArray(body.data) || !body.data.every(isJobLike)) {
    throw malformed('a page of jobs', response);
  }
  const cursor = body.next_cursor;
  return { data: body.data, next_cursor: typeof cursor === 'string' ? cursor : null };
}

/** A batch answer: the jobs and the ids the server did not find. */
export interface BatchBody {
  readonly data: readonly Job[];
  readonly notFound: readonly string[];
}

/**
 * The answer to `GET /v1/jobs?ids=…`. Every id asked must come back, as a job or in `not_found`:
 * an answer that leaves one out (a broken server or proxy) is malformed, not taken with its ETag —
 * a later `304` against that ETag would leave the missing job's wait blind until its deadline.
 */
export function parseBatch(response: JsonResponse, asked: readonly string[]): BatchBody {
  const page = parseJobPage(response);
  const body = response.body as Record<string, unknown>;
  const notFound = Array.isArray(body.not_found)
    ? body.not_found.filter((id): id is string => typeof id === 'string')
    : [];
  const answered = new Set([...page.data.map((job) => job.id), ...notFound]);
  if (!asked.every((id) => answered.has(id))) {
    throw malformed('every job asked for (or its id in not_found)', response);
  }
  return { data: page.data, notFound };
}

/** The answer to the original `GET /status`. */
export function parseStatus(response: JsonResponse): StatusResponse {
  const { body } = response;
  if (!isRecord(body) || typeof body.result !== 'string')
    throw malformed('{"result": …}', response);
  return { result: body.result };
}
