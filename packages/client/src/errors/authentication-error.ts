import { ApiError } from './api-error.js';

/** The server answered 401 Unauthorized (missing or wrong API key). */
export class AuthenticationError extends ApiError {
  override readonly name = 'AuthenticationError';
}

/** Whether `value` is an {@link AuthenticationError} (the server answered 401 Unauthorized). */
export function isAuthenticationError(value: unknown): value is AuthenticationError {
  return value instanceof AuthenticationError;
}
