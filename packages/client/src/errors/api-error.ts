import { VtransError } from './vtrans-error.js';

/** An RFC 9457 problem body as the server sends it. */
export interface ProblemDetails {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly code?: string;
  readonly [extension: string]: unknown;
}

/** What {@link ApiError} is built from. */
export interface ApiErrorInit {
  status: number;
  code?: string | undefined;
  requestId?: string | undefined;
  retryAfterMs?: number | undefined;
  problem?: ProblemDetails | undefined;
  cause?: unknown;
}

/** The literal names of {@link ApiError} and its subclasses. */
export type ApiErrorName =
  | 'ApiError'
  | 'BadRequestError'
  | 'AuthenticationError'
  | 'PermissionDeniedError'
  | 'NotFoundError'
  | 'ConflictError'
  | 'UnprocessableEntityError'
  | 'RateLimitError'
  | 'InternalServerError';

/**
 * The server answered with an error status (see the README's status → error table).
 *
 * @example
 * try { await client.getJob(id) } catch (e) { if (isApiError(e) && e.status === 404) ... }
 */
export class ApiError extends VtransError {
  override readonly name: ApiErrorName = 'ApiError';
  /** HTTP status. */
  readonly status: number;
  /** The problem body's stable `code` (e.g. `job_not_found`), when there was one. */
  readonly code: string | undefined;
  /** The `X-Request-Id` header: quote it when you report a problem. */
  readonly requestId: string | undefined;
  /** The server's `Retry-After`, in ms, when it sent one. */
  readonly retryAfterMs: number | undefined;
  /** The parsed `application/problem+json` body, when there was one. */
  readonly problem: ProblemDetails | undefined;

  constructor(message: string, init: ApiErrorInit) {
    super(message, { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
    this.retryAfterMs = init.retryAfterMs;
    this.problem = init.problem;
  }
}

/** Whether `value` is an {@link ApiError} (any subclass). */
export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError;
}
