import { ApiError } from './api-error.js';

/** The server answered 400 Bad Request. */
export class BadRequestError extends ApiError {
  override readonly name = 'BadRequestError';
}
