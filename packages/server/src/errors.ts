/**
 * Stable error codes and the one error type routes throw. The error handler renders every
 * `ProblemError` (and every framework error, mapped here) as RFC 9457 problem+json.
 */
export const ERROR_CODES = {
  invalid_request: { status: 400, title: 'Invalid request' },
  invalid_json: { status: 400, title: 'Malformed JSON body' },
  invalid_cursor: { status: 400, title: 'Invalid cursor' },
  invalid_callback_url: { status: 400, title: 'Callback URL not allowed' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  forbidden: { status: 403, title: 'Forbidden' },
  job_not_found: { status: 404, title: 'Job not found' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  request_timeout: { status: 408, title: 'Request timeout' },
  job_not_cancelable: { status: 409, title: 'Job cannot be canceled' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  idempotency_key_reused: { status: 422, title: 'Idempotency key reused with another request' },
  rate_limited: { status: 429, title: 'Too many requests' },
  request_header_fields_too_large: { status: 431, title: 'Request header fields too large' },
  internal_error: { status: 500, title: 'Internal server error' },
  store_unavailable: { status: 503, title: 'Store unavailable' },
  shutting_down: { status: 503, title: 'Server is shutting down' },
  server_busy: { status: 503, title: 'Too many held requests and streams' },
  store_full: { status: 503, title: 'Store full' },
  catching_up: { status: 503, title: 'Catching up after a restart' },
  /** `VT_FAULTS` answers: the problem's `status` is the injected one (500, 503, …). */
  injected_fault: { status: 503, title: 'Injected fault (VT_FAULTS)' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Where problem `type` URIs point: the docs page lists every code. */
export const PROBLEM_TYPE_BASE = 'https://vtrans.dev/problems/';

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
  request_id?: string;
  errors?: { path: string; message: string }[];
}

/** An error that becomes a problem+json answer with a stable `code`. */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly errors: { path: string; message: string }[] | undefined;
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    detail: string,
    options: {
      errors?: { path: string; message: string }[];
      headers?: Record<string, string>;
    } = {},
  ) {
    super(detail);
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

/** Builds the problem body for a code. */
export function toProblem(
  code: ErrorCode,
  detail: string,
  extra: {
    instance?: string;
    requestId?: string;
    errors?: { path: string; message: string }[];
  } = {},
): ProblemDetails {
  const meta = ERROR_CODES[code];
  const problem: ProblemDetails = {
    type: PROBLEM_TYPE_BASE + code,
    title: meta.title,
    status: meta.status,
    detail,
    code,
  };
  if (extra.instance !== undefined) problem.instance = extra.instance;
  if (extra.requestId !== undefined) problem.request_id = extra.requestId;
  if (extra.errors !== undefined) problem.errors = extra.errors;
  return problem;
}
