import { WebhookVerificationError } from '../errors/webhook-verification-error.js';
import { isJobLike } from '../internal/parse.js';
import type { WebhookEvent } from '../types/webhook.js';

/** Options of {@link verifyWebhook}. */
export interface VerifyWebhookOptions {
  /**
   * How far `webhook-timestamp` may be from now, either way, ms (replay protection).
   * @default 300000
   */
  toleranceMs?: number;
  /** The current time, ms since the epoch (tests). @default Date.now() */
  nowMs?: number;
}

/** Headers as fetch, Node's `IncomingMessage` or a plain object give them. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

const DEFAULT_TOLERANCE_MS = 300_000;
const MS_PER_S = 1000;
const SECRET_PREFIX = 'whsec_';
const SIGNATURE_VERSION = 'v1';
const DIGITS = /^\d+$/;

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(' ') : value;
  }
  return undefined;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return undefined;
  }
}

function fail(reason: WebhookVerificationError['reason'], message: string): never {
  throw new WebhookVerificationError(reason, message);
}

/**
 * Verifies a Standard Webhooks delivery (`webhook-id`, `webhook-timestamp`, `webhook-signature:
 * v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, key = base64 of the secret after `whsec_`) and
 * returns its event. Any one of several space-separated signatures may match (secret rotation);
 * comparison is constant-time (Web Crypto `verify`). Pass the raw body, before any JSON parsing.
 *
 * @example
 * const event = await verifyWebhook(rawBody, req.headers, process.env.VT_WEBHOOK_SECRET);
 * if (event.type === 'job.completed') ...
 */
export async function verifyWebhook(
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string,
  options: VerifyWebhookOptions = {},
): Promise<WebhookEvent> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (id === undefined || timestamp === undefined || signatures === undefined) {
    fail('missing_headers', 'webhook-id, webhook-timestamp and webhook-signature are required');
  }
  if (!DIGITS.test(timestamp.trim()))
    fail('malformed_headers', 'webhook-timestamp is not a Unix time');
  const timestampMs = Number(timestamp.trim()) * MS_PER_S;
  const nowMs = options.nowMs ?? Date.now();
  const toleranceMs = options.toleranceMs ?? DEFAULT_TOLERANCE_MS;
  if (nowMs - timestampMs > toleranceMs) fail('timestamp_too_old', 'webhook-timestamp is too old');
  if (timestampMs - nowMs > toleranceMs)
    fail('timestamp_in_future', 'webhook-timestamp is in the future');

  const keyBytes = decodeBase64(
    secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
  );
  if (keyBytes === undefined || keyBytes.length === 0)
    fail('invalid_secret', 'The secret is not base64 (whsec_…)');
  const key = await crypto.subtle.importKey(
    'raw',
    keyBytes,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  const body = typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody);
  const signed = new TextEncoder().encode(`${id}.${timestamp.trim()}.${body}`);

  const candidates = signatures
    .split(' ')
    .filter((entry) => entry.startsWith(`${SIGNATURE_VERSION},`))
    .map((entry) => decodeBase64(entry.slice(SIGNATURE_VERSION.length + 1)))
    .filter((bytes) => bytes !== undefined);
  if (candidates.length === 0) fail('malformed_headers', 'webhook-signature has no v1 signature');
  let isValid = false;
  for (const candidate of candidates) {
    if (await crypto.subtle.verify('HMAC', key, candidate, signed)) isValid = true;
  }
  if (!isValid) fail('invalid_signature', 'No webhook-signature matches the body and secret');

  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    fail('malformed_body', 'The body is not JSON');
  }
  const record = payload as Record<string, unknown> | null;
  if (
    typeof record !== 'object' ||
    record === null ||
    typeof record.type !== 'string' ||
    !isJobLike(record.data)
  ) {
    fail('malformed_body', 'The body is not {type, timestamp, data: Job}');
  }
  return {
    id,
    timestampMs,
    type: record.type,
    timestamp:
      typeof record.timestamp === 'string' ? record.timestamp : new Date(timestampMs).toISOString(),
    data: record.data,
  };
}
