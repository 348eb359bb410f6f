import { VtransError } from './vtrans-error.js';

/** Why a webhook was rejected. */
export type WebhookVerificationReason =
  | 'missing_headers'
  | 'malformed_headers'
  | 'invalid_secret'
  | 'invalid_signature'
  | 'timestamp_too_old'
  | 'timestamp_in_future'
  | 'malformed_body';

/** A webhook failed verification: answer it with 400 and do not act on it. */
export class WebhookVerificationError extends VtransError {
  override readonly name = 'WebhookVerificationError';
  /** A stable reason, for logs and metrics. */
  readonly reason: WebhookVerificationReason;

  constructor(reason: WebhookVerificationReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** Whether `value` is a {@link WebhookVerificationError}. */
export function isWebhookVerificationError(value: unknown): value is WebhookVerificationError {
  return value instanceof WebhookVerificationError;
}
