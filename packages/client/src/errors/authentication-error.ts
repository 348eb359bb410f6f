import { ApiError } from './api-error.js';

/** The server answered 401 Unauthorized (missing or wrong API key). */
export class AuthenticationError extends ApiError {
  override readonly name = 'AuthenticationError';
}
