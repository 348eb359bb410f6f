import { ApiError } from './api-error.js';

/** The server answered 422 Unprocessable Content (e.g. an idempotency key reused with another body). */
export class UnprocessableEntityError extends ApiError {
  override readonly name = 'UnprocessableEntityError';
}

/** Whether `value` is a {@link UnprocessableEntityError} (the server answered 422 Unprocessable Content). */
export function isUnprocessableEntityError(value: unknown): value is UnprocessableEntityError {
  return value instanceof UnprocessableEntityError;
}
