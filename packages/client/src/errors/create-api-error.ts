import { ApiError, type ApiErrorInit, type ProblemDetails } from './api-error.js';
import { AuthenticationError } from './authentication-error.js';
import { BadRequestError } from './bad-request-error.js';
import { ConflictError } from './conflict-error.js';
import { InternalServerError } from './internal-server-error.js';
import { NotFoundError } from './not-found-error.js';
import { PermissionDeniedError } from './permission-denied-error.js';
import { RateLimitError } from './rate-limit-error.js';
import { UnprocessableEntityError } from './unprocessable-entity-error.js';

type ApiErrorClass = new (message: string, init: ApiErrorInit) => ApiError;

const BY_STATUS: ReadonlyMap<number, ApiErrorClass> = new Map<number, ApiErrorClass>([
  [400, BadRequestError],
  [401, AuthenticationError],
  [403, PermissionDeniedError],
  [404, NotFoundError],
  [409, ConflictError],
  [422, UnprocessableEntityError],
  [429, RateLimitError],
]);

const FIRST_SERVER_ERROR = 500;

/**
 * The one place an HTTP error status becomes an error class (the README's table mirrors it):
 * 400 BadRequestError, 401 AuthenticationError, 403 PermissionDeniedError, 404 NotFoundError,
 * 409 ConflictError, 422 UnprocessableEntityError, 429 RateLimitError, 5xx InternalServerError,
 * any other status ApiError.
 */
export function createApiError(init: ApiErrorInit): ApiError {
  const Class =
    BY_STATUS.get(init.status) ??
    (init.status >= FIRST_SERVER_ERROR ? InternalServerError : ApiError);
  return new Class(describe(init.status, init.problem, init.requestId), init);
}

/** Reads a problem body if the text is one; anything else yields `undefined`. */
export function parseProblem(text: string): ProblemDetails | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as ProblemDetails)
      : undefined;
  } catch {
    return undefined;
  }
}

function describe(status: number, problem: ProblemDetails | undefined, requestId?: string): string {
  const what = problem?.detail ?? problem?.title ?? `HTTP ${status}`;
  const code = typeof problem?.code === 'string' ? ` [${problem.code}]` : '';
  const id = requestId === undefined ? '' : ` (request ${requestId})`;
  return `${status}${code}: ${what}${id}`;
}
