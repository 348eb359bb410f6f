import { ApiError } from './api-error.js';

/** The server answered 404 Not Found (e.g. an unknown job id). */
export class NotFoundError extends ApiError {
  override readonly name = 'NotFoundError';
}

/** Whether `value` is a {@link NotFoundError} (the server answered 404 Not Found). */
export function isNotFoundError(value: unknown): value is NotFoundError {
  return value instanceof NotFoundError;
}
