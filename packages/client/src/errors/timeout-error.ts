import { NetworkError } from './network-error.js';

/** Options of {@link TimeoutError}. */
export interface TimeoutErrorOptions {
  /** Replaces the default message (`Request timed out after N ms`). */
  message?: string | undefined;
  /** The URL of the request that timed out. */
  url?: string | undefined;
}

/** One request took longer than its timeout (`requestTimeoutMs`, plus the hold of a long poll). */
export class TimeoutError extends NetworkError {
  override readonly name = 'TimeoutError';
  /** The timeout that expired, in ms. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number, options: TimeoutErrorOptions = {}) {
    super(options.message ?? `Request timed out after ${timeoutMs} ms`, { url: options.url });
    this.timeoutMs = timeoutMs;
  }
}

/** Whether `value` is a {@link TimeoutError}. */
export function isTimeoutError(value: unknown): value is TimeoutError {
  return value instanceof TimeoutError;
}
