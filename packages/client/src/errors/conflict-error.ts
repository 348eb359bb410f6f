import { ApiError } from './api-error.js';

/** The server answered 409 Conflict (e.g. canceling a finished job). */
export class ConflictError extends ApiError {
  override readonly name = 'ConflictError';
}

/** Whether `value` is a {@link ConflictError} (the server answered 409 Conflict). */
export function isConflictError(value: unknown): value is ConflictError {
  return value instanceof ConflictError;
}
