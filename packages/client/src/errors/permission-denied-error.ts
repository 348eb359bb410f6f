import { ApiError } from './api-error.js';

/** The server answered 403 Forbidden. */
export class PermissionDeniedError extends ApiError {
  override readonly name = 'PermissionDeniedError';
}
