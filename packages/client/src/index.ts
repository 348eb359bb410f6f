// The one public door of @vtrans/client: every export is named here.
export {
  VtransClient,
  type ClientInternals,
  type CreateJobOptions,
  type RequestOptions,
  type TranslateOptions,
  type WaitForStatusOptions,
} from './client.js';
export { JobList, type ListJobsOptions } from './api/list-jobs.js';
export {
  DEFAULTS,
  type ClientOptions,
  type PollOptions,
  type RetryOptions,
  type UpdateInfo,
  type WaitOptions,
  type WaitStrategy,
  type WaitTransport,
} from './options.js';
export {
  JOB_STATUSES,
  TERMINAL_STATUSES,
  isTerminalStatus,
  type CreateJobInput,
  type Job,
  type JobPage,
  type JobStage,
  type JobStatus,
  type StatusResponse,
  type TerminalJobStatus,
} from './types/job.js';
export type { Logger, LogFields } from './types/logger.js';
export type { WebhookEvent } from './types/webhook.js';
export {
  verifyWebhook,
  type VerifyWebhookOptions,
  type WebhookHeaders,
} from './webhooks/verify-webhook.js';
export { VtransError, isVtransError, type VtransErrorOptions } from './errors/vtrans-error.js';
export {
  ApiError,
  isApiError,
  type ApiErrorInit,
  type ApiErrorName,
  type ProblemDetails,
} from './errors/api-error.js';
export { BadRequestError, isBadRequestError } from './errors/bad-request-error.js';
export { AuthenticationError, isAuthenticationError } from './errors/authentication-error.js';
export {
  PermissionDeniedError,
  isPermissionDeniedError,
} from './errors/permission-denied-error.js';
export { NotFoundError, isNotFoundError } from './errors/not-found-error.js';
export { ConflictError, isConflictError } from './errors/conflict-error.js';
export {
  UnprocessableEntityError,
  isUnprocessableEntityError,
} from './errors/unprocessable-entity-error.js';
export { RateLimitError, isRateLimitError } from './errors/rate-limit-error.js';
export { InternalServerError, isInternalServerError } from './errors/internal-server-error.js';
export { createApiError } from './errors/create-api-error.js';
export { NetworkError, isNetworkError, type NetworkErrorOptions } from './errors/network-error.js';
export { TimeoutError, isTimeoutError, type TimeoutErrorOptions } from './errors/timeout-error.js';
export {
  MalformedResponseError,
  isMalformedResponseError,
} from './errors/malformed-response-error.js';
export { WaitTimeoutError, isWaitTimeoutError } from './errors/wait-timeout-error.js';
export { JobFailedError, isJobFailedError } from './errors/job-failed-error.js';
export { JobCanceledError, isJobCanceledError } from './errors/job-canceled-error.js';
export {
  WebhookVerificationError,
  isWebhookVerificationError,
  type WebhookVerificationReason,
} from './errors/webhook-verification-error.js';
