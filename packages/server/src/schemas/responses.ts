/**
 * Response entries for route schemas. Fastify serializes with the media type's `schema`;
 * @fastify/swagger writes the description, the media type and the named headers into the API
 * description. Problems are `application/problem+json` (the error handler serializes them itself).
 */
import { Type, type TSchema } from 'typebox';
import { responseHeaders, type ResponseHeaderName } from '../openapi/headers.js';

type Headers = Partial<Record<ResponseHeaderName, boolean>>;

/** A JSON answer. */
export function jsonResponse<T extends TSchema>(
  description: string,
  schema: T,
  headers: Headers = {},
) {
  return {
    description,
    content: { 'application/json': { schema } },
    headers: responseHeaders(headers),
  };
}

/** An answer in another media type (text, HTML, …), its body a string. */
export function textResponse(
  description: string,
  mediaTypes: readonly string[],
  headers: Headers = {},
) {
  const content: Record<string, { schema: TSchema }> = {};
  for (const type of mediaTypes) content[type] = { schema: Type.String() };
  return { description, content, headers: responseHeaders(headers) };
}

/** An answer without a body (204, 304). */
export function emptyResponse(description: string, headers: Headers = {}) {
  return Type.Null({ description, headers: responseHeaders(headers) });
}

/**
 * A Server-Sent Events stream. OpenAPI 3.1 can only call the body a string; `x-itemSchema` (the
 * shape OpenAPI 3.2 names `itemSchema`) describes each event: its `event`, `id` and JSON `data`.
 */
export function eventStreamResponse(description: string, itemSchema: Record<string, unknown>) {
  return {
    description,
    content: {
      'text/event-stream': {
        schema: Type.String({ description: 'Server-Sent Events; each event as in `x-itemSchema`' }),
        'x-itemSchema': itemSchema,
      },
    },
    headers: responseHeaders({ 'X-Accel-Buffering': true }),
  };
}

/** Problem answers of a route, each with what it means there (cross-cutting ones are added later). */
export function problemResponses(described: Record<number, string>) {
  const out: Record<number, ReturnType<typeof problemResponse>> = {};
  for (const [status, description] of Object.entries(described)) {
    out[Number(status)] = problemResponse(description);
  }
  return out;
}

export function problemResponse(description: string, headers: Headers = {}) {
  return {
    description,
    content: { 'application/problem+json': { schema: Type.Ref('Problem') } },
    headers: responseHeaders(headers),
  };
}
