import { VtransError } from './vtrans-error.js';

/** The request never got an HTTP answer (connection refused or reset, DNS, TLS...); see `cause`. */
export class NetworkError extends VtransError {
  override readonly name: 'NetworkError' | 'TimeoutError' | 'MalformedResponseError' =
    'NetworkError';
}

/** Whether `value` is a {@link NetworkError} (including timeouts and malformed answers). */
export function isNetworkError(value: unknown): value is NetworkError {
  return value instanceof NetworkError;
}
