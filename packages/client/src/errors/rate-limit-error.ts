import { ApiError } from './api-error.js';

/** The server answered 429 Too Many Requests; `retryAfterMs` says when to come back. */
export class RateLimitError extends ApiError {
  override readonly name = 'RateLimitError';
}

/** Whether `value` is a {@link RateLimitError} (the server answered 429 Too Many Requests). */
export function isRateLimitError(value: unknown): value is RateLimitError {
  return value instanceof RateLimitError;
}
