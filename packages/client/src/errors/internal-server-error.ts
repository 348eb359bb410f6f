import { ApiError } from './api-error.js';

/** The server answered with a 5xx status. */
export class InternalServerError extends ApiError {
  override readonly name = 'InternalServerError';
}

/** Whether `value` is an {@link InternalServerError} (the server answered with a 5xx status). */
export function isInternalServerError(value: unknown): value is InternalServerError {
  return value instanceof InternalServerError;
}
