import { ApiError } from './api-error.js';

/** The server answered a 5xx answer. */
export class InternalServerError extends ApiError {
  override readonly name = 'InternalServerError';
}
