import { ApiError } from './api-error.js';

/** The server answered 403 Forbidden. */
export class PermissionDeniedError extends ApiError {
  override readonly name = 'PermissionDeniedError';
}

/** Whether `value` is a {@link PermissionDeniedError} (the server answered 403 Forbidden). */
export function isPermissionDeniedError(value: unknown): value is PermissionDeniedError {
  return value instanceof PermissionDeniedError;
}
