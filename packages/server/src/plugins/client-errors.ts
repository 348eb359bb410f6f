/**
 * Answers for requests that never reach a route: the HTTP parser's errors (headers too large,
 * headers or body too slow, malformed HTTP) and the router's (a malformed URL). Fastify's defaults
 * send ad-hoc JSON; these send the same problem+json every other error uses, without internals.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { toProblem, type ErrorCode } from '../errors.js';
import { sendProblem } from './error-handler.js';
import { SECURITY_HEADERS } from './http-headers.js';

const PARSER_ERRORS: Record<string, { code: ErrorCode; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    code: 'request_header_fields_too_large',
    detail: 'The request headers are larger than the server accepts (16 KiB)',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    code: 'request_timeout',
    detail: 'The request did not arrive in time',
  },
};

/** For Fastify's `clientErrorHandler`: answers on the raw socket, then closes it. */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const known = err.code ? PARSER_ERRORS[err.code] : undefined;
  const problem = toProblem(
    known?.code ?? 'invalid_request',
    known?.detail ?? 'The request is not valid HTTP',
  );
  const body = JSON.stringify(problem);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? 'Error'}\r\n` +
        'Content-Type: application/problem+json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Cache-Control: no-store\r\n' +
        'X-Content-Type-Options: nosniff\r\n' +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy();
}

/** For Fastify's `frameworkErrors`: a malformed URL or an over-long path segment. */
export function frameworkErrors(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  // These never reach the onRequest hooks that set the headers every answer carries.
  void reply.header('x-request-id', String(request.id));
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) void reply.header(name, value);
  const detail =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'A path segment is longer than the server accepts'
      : 'The URL is malformed';
  void sendProblem(request, reply, 'invalid_request', detail);
}
