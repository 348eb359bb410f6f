import { NetworkError } from './network-error.js';

/** One request took longer than its timeout (`requestTimeoutMs`, plus the hold of a long poll). */
export class TimeoutError extends NetworkError {
  override readonly name = 'TimeoutError';
  /** The timeout that expired, in ms. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(`Request timed out after ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** Whether `value` is a {@link TimeoutError}. */
export function isTimeoutError(value: unknown): value is TimeoutError {
  return value instanceof TimeoutError;
}
