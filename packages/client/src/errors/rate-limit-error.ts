import { ApiError } from './api-error.js';

/** The server answered 429 Too Many Requests; `retryAfterMs` says when to come back. */
export class RateLimitError extends ApiError {
  override readonly name = 'RateLimitError';
}
