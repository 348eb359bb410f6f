import { ApiError } from './api-error.js';

/** The server answered 422 Unprocessable Content (e.g. an idempotency key reused with another body). */
export class UnprocessableEntityError extends ApiError {
  override readonly name = 'UnprocessableEntityError';
}
