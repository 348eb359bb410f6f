/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): `webhook-signature` is
 * `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed by the base64-decoded part of the secret
 * after `whsec_`. During a rotation several secrets sign, each adding a space-separated entry.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';
/** Secrets carry at least this much key material. */
export const MIN_SECRET_BYTES = 24;
/** Generated secrets carry this much. */
const GENERATED_SECRET_BYTES = 32;
const SIGNATURE_VERSION = 'v1';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** A new random secret, `whsec_` + base64 of 32 bytes. */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(GENERATED_SECRET_BYTES).toString('base64');
}

/** Why a secret is not usable (`undefined` when it is): `whsec_` + base64 of ≥ 24 bytes. */
export function secretProblem(secret: string): string | undefined {
  const allowed = `expected ${SECRET_PREFIX} followed by base64 of at least ${MIN_SECRET_BYTES} bytes`;
  if (!secret.startsWith(SECRET_PREFIX)) return allowed;
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0) return allowed;
  return Buffer.from(encoded, 'base64').length >= MIN_SECRET_BYTES ? undefined : allowed;
}

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
}

function sign(secret: string, id: string, timestampS: number, body: string): string {
  return createHmac('sha256', keyOf(secret)).update(`${id}.${timestampS}.${body}`).digest('base64');
}

/** The `webhook-signature` header value: one `v1,` entry per secret, space-separated. */
export function signatureHeader(
  secrets: readonly string[],
  id: string,
  timestampS: number,
  body: string,
): string {
  return secrets
    .map((secret) => `${SIGNATURE_VERSION},${sign(secret, id, timestampS, body)}`)
    .join(' ');
}

/**
 * Whether any `v1,` entry of a `webhook-signature` header was made with `secret` over this id,
 * timestamp and body (constant-time compare). The server's own check, for tests and tools; the
 * client's `verifyWebhook` is what receivers use.
 */
export function hasValidSignature(
  header: string,
  secret: string,
  id: string,
  timestampS: number,
  body: string,
): boolean {
  const expected = Buffer.from(sign(secret, id, timestampS, body), 'base64');
  return header.split(' ').some((entry) => {
    if (!entry.startsWith(`${SIGNATURE_VERSION},`)) return false;
    const given = Buffer.from(entry.slice(SIGNATURE_VERSION.length + 1), 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
