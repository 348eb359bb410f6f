/**
 * What route schemas cannot say, added to the generated document for the server as configured:
 * who must authenticate (and the 401), rate limiting (429 and the RateLimit headers), injected
 * faults, the 500 of an unexpected failure, the 503 every route answers while the server drains,
 * the body errors of every POST, the 408 and 431 the HTTP parser answers to any request, the
 * `X-Request-Id` every request may send and every answer of the app carries, and the response
 * headers the routes name (expanded from their marks).
 */
import type { FaultSpec } from '../faults/spec.js';
import { HEADER_MARK, headerObject, type ResponseHeaderName } from './headers.js';

type Json = Record<string, unknown>;

interface HeaderObject {
  schema?: Json;
  [key: string]: unknown;
}

interface ResponseObject {
  description?: string;
  headers?: Record<string, HeaderObject>;
  content?: Record<string, Json>;
}

interface OperationObject {
  security?: Json[];
  parameters?: Json[];
  requestBody?: { required?: boolean; content?: Record<string, Json> };
  responses?: Record<string, ResponseObject>;
}

/** How this server is configured, as far as the document is concerned. */
export interface DocumentFacts {
  /** API keys are configured: `/v1` needs a bearer key, `GET /status` takes one. */
  hasKeys: boolean;
  /** The API routes are rate limited (the key tiers, or VT_RATE_LIMITS in open mode). */
  isRateLimited: boolean;
  /** `GET /metrics` needs VT_METRICS_TOKEN. */
  hasMetricsToken: boolean;
  /** What VT_FAULTS injects into the API routes, when set. */
  faults: FaultSpec | undefined;
}

const PROBLEM = {
  'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
};
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function problem(description: string, headers: Partial<Record<ResponseHeaderName, boolean>> = {}) {
  const out: ResponseObject = { description, content: structuredClone(PROBLEM) };
  const entries = Object.entries(headers) as [ResponseHeaderName, boolean][];
  if (entries.length > 0) {
    out.headers = Object.fromEntries(entries.map(([name, req]) => [name, headerObject(name, req)]));
  }
  return out;
}

/**
 * Adds a response, or says more about the one the route already describes: `also` is appended
 * unless that description already names its (first) code.
 */
function addResponse(op: OperationObject, status: number, response: ResponseObject, also = '') {
  const responses = (op.responses ??= {});
  const existing = responses[String(status)];
  if (!existing) {
    responses[String(status)] = response;
    return;
  }
  const code = /`[a-z_]+`/.exec(also)?.[0];
  if (code && !existing.description?.includes(code)) {
    existing.description = `${existing.description ?? ''}; ${also}`;
  }
  existing.headers = { ...response.headers, ...existing.headers };
}

/** @fastify/swagger wraps each response header in `{ schema }`: expand the marks routes left. */
function expandHeaderMarks(response: ResponseObject): void {
  for (const [name, header] of Object.entries(response.headers ?? {})) {
    const mark = header.schema?.[HEADER_MARK] as
      { name: ResponseHeaderName; required: boolean } | undefined;
    if (mark && response.headers) response.headers[name] = headerObject(mark.name, mark.required);
  }
}

const isApiPath = (path: string) => path === '/status' || path.startsWith('/v1/');

function securityFor(path: string, facts: DocumentFacts): Json[] {
  if (path === '/metrics') return facts.hasMetricsToken ? [{ metricsToken: [] }] : [];
  if (!facts.hasKeys) return [];
  if (path.startsWith('/v1/')) return [{ bearerAuth: [] }];
  // Bare `GET /status` is public; `?job_id=` needs a key.
  if (path === '/status') return [{}, { bearerAuth: [] }];
  return [];
}

function finishOperation(path: string, method: string, op: OperationObject, facts: DocumentFacts) {
  const api = isApiPath(path);
  // A body whose fields are all optional may be left out (`POST /v1/jobs` with no body).
  const body = op.requestBody?.content?.['application/json']?.schema as Json | undefined;
  if (op.requestBody && body && !Array.isArray(body.required)) op.requestBody.required = false;
  for (const response of Object.values(op.responses ?? {})) expandHeaderMarks(response);

  op.parameters = [...(op.parameters ?? []), { $ref: '#/components/parameters/XRequestId' }];
  op.security = securityFor(path, facts);

  if (op.security.length > 0) {
    const what =
      path === '/metrics'
        ? 'Missing or wrong VT_METRICS_TOKEN'
        : path === '/status'
          ? '`unauthorized`: `job_id` was given without a valid API key'
          : '`unauthorized`: no API key, a malformed `Authorization` header, or an unknown key';
    addResponse(op, 401, problem(what, { 'WWW-Authenticate': true }));
  }
  if (method === 'post') {
    // The body parser runs on every POST, whatever its route expects.
    addResponse(
      op,
      400,
      problem('`invalid_json`: the body is not JSON'),
      'or `invalid_json`: the body is not JSON',
    );
    addResponse(op, 413, problem('`payload_too_large`: the body is over VT_BODY_LIMIT'));
    addResponse(op, 415, problem('`unsupported_media_type`: a body that is not JSON'));
  }
  if (api && facts.isRateLimited) {
    const limited = problem(
      "`rate_limited`: the caller's quota is used up; `Retry-After` says when to come back",
      { 'Retry-After': true, RateLimit: true, 'RateLimit-Policy': true },
    );
    addResponse(op, 429, limited);
  }
  addResponse(
    op,
    500,
    problem(
      '`internal_error`: an unexpected failure (a bug, or a store failing in a way it should not); the log has the details under the request id',
    ),
  );
  addResponse(
    op,
    503,
    problem(
      '`shutting_down` (the server is draining) or, where the route reads the store, `store_unavailable`; retry shortly',
      { 'Retry-After': false },
    ),
    'or `shutting_down` (the server is draining), or `store_unavailable`',
  );
  const faults = facts.faults;
  if (api && faults && (!faults.methods || faults.methods.includes(method.toUpperCase()))) {
    for (const { status } of faults.statuses) {
      const injected = `\`injected_fault\`: VT_FAULTS replaced this answer with a ${status}`;
      addResponse(
        op,
        status,
        problem(injected, { 'Retry-After': faults.retryAfterS !== undefined }),
        `or ${injected}`,
      );
    }
  }

  for (const [status, response] of Object.entries(op.responses ?? {})) {
    if (PARSER_STATUSES.has(status)) continue;
    const headers: Record<string, HeaderObject> = {
      'X-Request-Id': headerObject('X-Request-Id', true),
      ...response.headers,
    };
    // The limiter answers before the route, so every answer it let through carries the quota;
    // errors may come before it (a 401, a malformed URL).
    if (api && facts.isRateLimited && status !== '401') {
      const required = Number(status) < 400;
      headers.RateLimit ??= headerObject('RateLimit', required);
      headers['RateLimit-Policy'] ??= headerObject('RateLimit-Policy', required);
    }
    response.headers = headers;
  }
  // Last: Node's HTTP parser answers these on the socket, before any hook could add headers.
  addResponse(op, 408, problem('`request_timeout`: the request headers did not arrive in time'));
  addResponse(
    op,
    431,
    problem('`request_header_fields_too_large`: the request headers are over 16 KiB'),
  );
}

/** Statuses the HTTP parser answers before the app sees the request. */
const PARSER_STATUSES = new Set(['408', '431']);

export function finishDocument(doc: Json, facts: DocumentFacts): Json {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, OperationObject>>;
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (op && typeof op === 'object') finishOperation(path, method, op, facts);
    }
  }
  return doc;
}
