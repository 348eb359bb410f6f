import { ApiError } from './api-error.js';

/** The server answered 400 Bad Request. */
export class BadRequestError extends ApiError {
  override readonly name = 'BadRequestError';
}

/** Whether `value` is a {@link BadRequestError} (the server answered 400 Bad Request). */
export function isBadRequestError(value: unknown): value is BadRequestError {
  return value instanceof BadRequestError;
}
