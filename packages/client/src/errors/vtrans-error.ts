/** Options accepted by every vtrans error. */
export interface VtransErrorOptions {
  cause?: unknown;
}

/**
 * The base of every error this client throws (abort reasons excepted: an aborted call rejects
 * with `signal.reason` unchanged).
 */
export class VtransError extends Error {
  override readonly name: string = 'VtransError';

  constructor(message: string, options?: VtransErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}

/** Whether `value` is any error thrown by this client. */
export function isVtransError(value: unknown): value is VtransError {
  return value instanceof VtransError;
}
