/**
 * The HTTP headers the API description names, said once: what each response header means and its
 * form, and the request headers routes read. Route schemas name response headers with
 * {@link responseHeaders}; the document's finishing step turns the names into header objects.
 */
import { Type } from 'typebox';

const digits = { type: 'integer', minimum: 0 } as const;

/** Every response header the document describes, by its name on the wire. */
export const RESPONSE_HEADERS = {
  'X-Request-Id': {
    description:
      'The id of this request: the caller’s `X-Request-Id` when it is well-formed, else one made here (`req_…`); the logs name it',
    schema: { type: 'string', pattern: '^(req_[0-9a-f]{32}|[A-Za-z0-9._:-]{1,128})$' },
  },
  ETag: {
    description:
      'A validator of the state answered: send it back in `If-None-Match` to hold until it changes, or to get 304 while it has not',
    schema: { type: 'string', pattern: '^(W/)?"[^"]*"$' },
  },
  Location: {
    description: 'Where the job lives: `/v1/jobs/{id}`',
    schema: { type: 'string', pattern: '^/v1/jobs/[^/]+$' },
  },
  'Idempotent-Replayed': {
    description:
      'Present when this is the replay of the first answer to the same `Idempotency-Key`',
    schema: { type: 'string', enum: ['true'] },
  },
  'Retry-After': {
    description: 'Seconds to wait before asking again',
    schema: digits,
  },
  'Preference-Applied': {
    description:
      'Present when the `Prefer: wait=N` (or `?wait=N`) hold was applied, with the seconds held at most (RFC 7240)',
    schema: { type: 'string', pattern: '^wait=\\d+$' },
  },
  Vary: {
    description: 'The answer depends on `Prefer` (and on `Origin` when CORS applies)',
    schema: { type: 'string' },
  },
  RateLimit: {
    description:
      'The caller’s remaining quota: `"<tier>";r=<requests left>;t=<seconds until the window resets>` (IETF RateLimit header fields)',
    schema: { type: 'string', pattern: '^"[^"]+";r=\\d+;t=\\d+$' },
  },
  'RateLimit-Policy': {
    description: 'The quota policy: `"<tier>";q=<requests>;w=<window seconds>`',
    schema: { type: 'string', pattern: '^"[^"]+";q=\\d+;w=\\d+$' },
  },
  'WWW-Authenticate': {
    description: 'The bearer challenge (RFC 6750), with `error=` naming a malformed or unknown key',
    schema: { type: 'string', pattern: '^Bearer realm="[^"]+"' },
  },
  'X-Accel-Buffering': {
    description: 'Asks nginx-style proxies not to buffer the stream',
    schema: { type: 'string', enum: ['no'] },
  },
} as const;

export type ResponseHeaderName = keyof typeof RESPONSE_HEADERS;

/** Marks a header in a route's response schema; the document's finishing step expands it. */
export const HEADER_MARK = 'x-vtrans-header';

/**
 * Names the headers a route's response carries, each `true` when it is always there.
 * @fastify/swagger copies a response schema's `headers` into the document; the finishing step
 * replaces each mark with the header's description, schema and `required`.
 */
export function responseHeaders(
  headers: Partial<Record<ResponseHeaderName, boolean>>,
): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, required] of Object.entries(headers)) {
    out[name] = { [HEADER_MARK]: { name, required } };
  }
  return out;
}

/** The OpenAPI header object for a header. */
export function headerObject(name: ResponseHeaderName, required: boolean): Record<string, unknown> {
  const { description, schema } = RESPONSE_HEADERS[name];
  return { description, required, schema: { ...schema } };
}

/** Request headers routes read (Node joins repeated ones, so each arrives as one string). */
export const RequestHeaders = {
  prefer: Type.Optional(
    Type.String({
      description:
        '`wait=N`: hold the request up to N seconds (at most 50) until the state changes (RFC 7240); `?wait=N` wins when both are given; a malformed preference is ignored',
      examples: ['wait=30'],
    }),
  ),
  ifNoneMatch: Type.Optional(
    Type.String({
      description:
        'An `ETag` from an earlier answer: a hold waits for a state other than that one, and an answer that would carry it is 304 instead',
      examples: ['W/"1"'],
    }),
  ),
  idempotencyKey: Type.Optional(
    Type.String({
      description:
        '1 to 255 visible ASCII characters: the same key with the same body answers the first 201 again (with `Idempotent-Replayed: true`); with another body, 422',
      examples: ['order-1234'],
    }),
  ),
};
