/**
 * One error handler: every error becomes RFC 9457 problem+json with a stable `code`. Framework
 * errors are mapped to our codes; 5xx details are logged with request context and never sent.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { logRequestFailure } from '../access-log.js';
import { ProblemError, toProblem, type ErrorCode } from '../errors.js';

const FRAMEWORK_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
};

/** Sends a problem answer. Used by the error and not-found handlers and by routes. */
export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  code: ErrorCode,
  detail: string,
  errors?: { path: string; message: string }[],
): FastifyReply {
  const problem = toProblem(code, detail, {
    instance: request.url.split('?')[0] ?? request.url,
    requestId: String(request.id),
    ...(errors ? { errors } : {}),
  });
  return reply
    .code(problem.status)
    .type('application/problem+json')
    .header('cache-control', 'no-store')
    .serializer(JSON.stringify)
    .send(problem);
}

function validationDetail(error: FastifyError): {
  detail: string;
  errors: { path: string; message: string }[];
} {
  const context = error.validationContext ?? 'request';
  const errors: { path: string; message: string }[] = [];
  // A union of literals fails once per literal and once more for the anyOf: say it once, with
  // the allowed values, instead of three times "must be equal to constant".
  const allowedByPath = new Map<string, unknown[]>();
  for (const v of error.validation ?? []) {
    const params = v.params as
      { missingProperty?: string; additionalProperty?: string; allowedValue?: unknown } | undefined;
    const missing = params?.missingProperty;
    const extra = params?.additionalProperty;
    const path = `${context}${v.instancePath.replace(/\//g, '.')}${missing ? `.${missing}` : ''}${extra ? `.${extra}` : ''}`;
    if (v.keyword === 'const') {
      const allowed = allowedByPath.get(path) ?? [];
      allowed.push(params?.allowedValue);
      allowedByPath.set(path, allowed);
      continue;
    }
    if (v.keyword === 'anyOf' && allowedByPath.has(path)) {
      const allowed = allowedByPath.get(path) ?? [];
      allowedByPath.delete(path);
      errors.push({
        path,
        message: `must be one of ${[...new Set(allowed.map((a) => JSON.stringify(a)))].join(', ')}`,
      });
      continue;
    }
    errors.push({ path, message: extra ? 'is not a known property' : (v.message ?? 'is invalid') });
  }
  for (const [path, allowed] of allowedByPath) {
    errors.push({ path, message: `must be ${allowed.map((a) => JSON.stringify(a)).join(' or ')}` });
  }
  const first = errors[0];
  return { detail: first ? `${first.path} ${first.message}` : error.message, errors };
}

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ProblemError) {
      for (const [name, value] of Object.entries(error.headers)) void reply.header(name, value);
      return sendProblem(request, reply, error.code, error.message, error.errors);
    }
    if (error.validation) {
      const { detail, errors } = validationDetail(error);
      return sendProblem(request, reply, 'invalid_request', detail, errors);
    }
    const mapped = error.code ? FRAMEWORK_CODES[error.code] : undefined;
    if (mapped) return sendProblem(request, reply, mapped, error.message);
    if (error instanceof SyntaxError || (error.statusCode === 400 && /JSON/i.test(error.message))) {
      return sendProblem(request, reply, 'invalid_json', 'The request body is not valid JSON');
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return sendProblem(request, reply, 'invalid_request', error.message);
    }
    logRequestFailure(request, reply, error);
    return sendProblem(
      request,
      reply,
      'internal_error',
      'An unexpected error occurred; the request id identifies it in the logs',
    );
  });

  const routes = new RouteMethods();
  app.addHook('onRoute', (route) => routes.add(route.method, route.url));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = routes.methodsFor(path);
    if (allowed.length > 0) {
      // RFC 9110 §15.5.6: the path exists, so say which methods it takes.
      void reply.header('allow', allowed.join(', '));
      return sendProblem(
        request,
        reply,
        'method_not_allowed',
        `${path} does not take ${request.method}; it takes ${allowed.join(', ')}`,
      );
    }
    return sendProblem(request, reply, 'not_found', `No route for ${request.method} ${path}`);
  });
}

/** Which methods each route pattern takes, to tell a wrong method (405) from a wrong path (404). */
class RouteMethods {
  readonly #routes: { pattern: RegExp; methods: Set<string> }[] = [];

  add(method: string | string[], url: string): void {
    // Catch-all routes (the CORS preflight `OPTIONS *`, static files) say nothing about a path.
    if (url.includes('*')) return;
    const source = url
      .split('/')
      .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    const pattern = new RegExp(`^${source}$`);
    let entry = this.#routes.find((r) => r.pattern.source === pattern.source);
    if (!entry) {
      entry = { pattern, methods: new Set() };
      this.#routes.push(entry);
    }
    for (const m of Array.isArray(method) ? method : [method]) entry.methods.add(m);
  }

  methodsFor(path: string): string[] {
    const methods = new Set<string>();
    for (const route of this.#routes) {
      if (route.pattern.test(path)) for (const m of route.methods) methods.add(m);
    }
    return [...methods].sort();
  }
}
