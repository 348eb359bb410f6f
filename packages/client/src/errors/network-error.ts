import { VtransError, type VtransErrorOptions } from './vtrans-error.js';

/** Options of {@link NetworkError} (and of its subclasses). */
export interface NetworkErrorOptions extends VtransErrorOptions {
  /** The URL of the request that failed. */
  url?: string | undefined;
  /** Why it failed, as far as the runtime said: `ECONNREFUSED`, `ENOTFOUND`, `other side closed`… */
  reason?: string | undefined;
}

/**
 * The request never got a whole HTTP answer (connection refused or reset, DNS, TLS, an answer cut
 * short...). The message names the server and the reason; `cause` is the runtime's own error.
 */
export class NetworkError extends VtransError {
  override readonly name: 'NetworkError' | 'TimeoutError' | 'MalformedResponseError' =
    'NetworkError';
  /** The URL of the request that failed, when known. */
  readonly url: string | undefined;
  /**
   * Why, when the runtime said: an error code such as `ECONNREFUSED` or `ENOTFOUND` (the same
   * code in Node, Bun and Deno), else the runtime's own words; `undefined` when it gave none (a
   * browser never says why a request failed).
   */
  readonly reason: string | undefined;

  constructor(message: string, options: NetworkErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.url = options.url;
    this.reason = options.reason;
  }
}

/** Whether `value` is a {@link NetworkError} (including timeouts and malformed answers). */
export function isNetworkError(value: unknown): value is NetworkError {
  return value instanceof NetworkError;
}
