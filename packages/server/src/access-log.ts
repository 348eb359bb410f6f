/**
 * One log line per request, written when its answer has gone out: method, URL, status, duration and
 * (bound to every request's logger) the request id, at `info` — so `LOG_LEVEL=warn` writes none for
 * requests that went well. A request that failed with an unexpected error gets its one line at
 * `error` instead, with the error, written by the error handler when it happens (so it is never lost
 * with a connection that closes before the answer is finished).
 *
 * An answer cut short — an event stream the client closed (the usual end of one), a client gone
 * before its answer was complete — still gets its line, saying so.
 *
 * Pretty logs print the message alone (`GET /v1/jobs 200 1.4 ms · req_…`); JSON lines carry the
 * fields too: `reqId`, `method`, `url`, `statusCode`, `responseTimeMs`.
 */
import {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';

/** The fields of an access line, for the pretty printer to leave out (they are in the message). */
export const ACCESS_LINE_FIELDS = [
  'reqId',
  'method',
  'url',
  'statusCode',
  'responseTimeMs',
  'closedEarly',
];

/** A URL in the message is cut to this length (a batch URL can carry 100 ids); the field keeps it whole. */
const MAX_MESSAGE_URL_LENGTH = 120;

/** Requests whose line the error handler already wrote. */
const alreadyLogged = new WeakSet<FastifyRequest>();

/** The line's fields and message; `statusCode` is `null` when no answer was sent (`-` in words). */
function accessLine(request: FastifyRequest, statusCode: number | null, elapsedMs: number) {
  const responseTimeMs = Math.round(elapsedMs * 10) / 10;
  const url =
    request.url.length > MAX_MESSAGE_URL_LENGTH
      ? `${request.url.slice(0, MAX_MESSAGE_URL_LENGTH)}…`
      : request.url;
  return {
    fields: { method: request.method, url: request.url, statusCode, responseTimeMs },
    message: `${request.method} ${url} ${statusCode ?? '-'} ${responseTimeMs} ms`,
  };
}

/** The error handler's line for an unexpected error (answered 500): the access line, at `error`. */
export function logRequestFailure(request: FastifyRequest, reply: FastifyReply, err: Error): void {
  alreadyLogged.add(request);
  const { fields, message } = accessLine(request, 500, reply.elapsedTime);
  request.log.error({ ...fields, err }, `${message}: ${err.message}`);
}

/** Fastify's request logging (its `logController` option), replaced by the one line above. */
export class AccessLog extends LogController {
  override incomingRequest(): void {}

  override routeNotFound(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (this.isLogDisabled(request) || alreadyLogged.has(request)) return;
    const { fields, message } = accessLine(request, reply.statusCode, reply.elapsedTime);
    // An error here is the response stream's own (the answer broke off after its headers).
    if (error) reply.log.error({ ...fields, err: error }, `${message}: ${error.message}`);
    else reply.log.info(fields, message);
  }
}

/**
 * Writes the line of an answer that never finished (its connection closed first): Fastify reports
 * only finished ones. A listener per request, so only when `info` lines are written at all.
 */
export function registerAccessLog(app: FastifyInstance): void {
  const log = app.log as FastifyInstance['log'] & { isLevelEnabled?: (level: string) => boolean };
  if (!log.isLevelEnabled?.('info')) return;
  app.addHook('onRequest', (request, reply, done) => {
    reply.raw.once('close', () => {
      if (reply.raw.writableFinished || alreadyLogged.has(request)) return;
      const answered = reply.raw.headersSent;
      const status = answered ? reply.raw.statusCode : null;
      const { fields, message } = accessLine(request, status, reply.elapsedTime);
      const cut = answered
        ? 'the client closed the connection before the answer ended'
        : 'the client closed the connection before an answer';
      request.log.info({ ...fields, closedEarly: true }, `${message} (${cut})`);
    });
    done();
  });
}
