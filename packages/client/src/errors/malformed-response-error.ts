import { NetworkError } from './network-error.js';

/** The server answered a success status with a body that is not the expected JSON. */
export class MalformedResponseError extends NetworkError {
  override readonly name = 'MalformedResponseError';
  /** HTTP status of the answer. */
  readonly status: number;
  /** The `X-Request-Id` header, when present. */
  readonly requestId: string | undefined;

  constructor(
    message: string,
    init: {
      status: number;
      requestId?: string | undefined;
      cause?: unknown;
      url?: string | undefined;
    },
  ) {
    super(message, { cause: init.cause, url: init.url });
    this.status = init.status;
    this.requestId = init.requestId;
  }
}

/** Whether `value` is a {@link MalformedResponseError}. */
export function isMalformedResponseError(value: unknown): value is MalformedResponseError {
  return value instanceof MalformedResponseError;
}
