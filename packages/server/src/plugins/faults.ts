/**
 * `VT_FAULTS`: injected faults on `/v1` and `/status` (never on health, readiness or metrics), for
 * people testing how their clients cope — error statuses (before the route runs, so nothing
 * happens), added latency, connection resets and truncated bodies (after the route ran, so the
 * effect happened and only the answer is lost — what makes idempotency matter).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toProblem } from '../errors.js';
import { cutShortBody, cutSocket } from '../faults/cut.js';
import { FaultInjector, type FaultDecision } from '../faults/injector.js';
import { parseFaultSpec } from '../faults/spec.js';

/** Streams (hijacked replies) are cut within this long after they open. */
const STREAM_CUT_WINDOW_MS = 2000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function injectedStatus(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  retryAfterS: number | undefined,
): FastifyReply {
  const problem = {
    ...toProblem('injected_fault', `VT_FAULTS injected this ${status} answer`, {
      instance: request.url.split('?')[0] ?? request.url,
      requestId: String(request.id),
    }),
    status,
  };
  if (retryAfterS !== undefined) void reply.header('retry-after', String(retryAfterS));
  return reply
    .code(status)
    .type('application/problem+json')
    .header('cache-control', 'no-store')
    .serializer(JSON.stringify)
    .send(problem);
}

/**
 * Registers the fault hooks when `spec` (a `VT_FAULTS` value) asks for any, and returns the
 * injector (for its counts), or `undefined` when faults are off.
 */
export function registerFaults(
  app: FastifyInstance,
  spec: string | undefined,
  seed: string | undefined,
): FaultInjector | undefined {
  const parsed = spec === undefined ? undefined : parseFaultSpec('VT_FAULTS', spec);
  if (!parsed) return undefined;
  const injector = new FaultInjector(parsed, seed);
  const decisions = new WeakMap<FastifyRequest, FaultDecision>();

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (!injector.applies(request.method, path)) return;
    const decision = injector.decide();
    if (decision.latencyMs > 0) await sleep(decision.latencyMs);
    if (decision.kind === 'status') {
      return injectedStatus(request, reply, decision.status, parsed.retryAfterS);
    }
    if (decision.kind === 'none') return;
    decisions.set(request, decision);
    if (path.endsWith('/events')) {
      // Event streams are hijacked and never reach onSend: cut them a little after they open.
      // A stream that never opened (a 404 went through onSend instead) or already ended is not cut:
      // its socket may be serving the next request by then.
      const timer = setTimeout(() => {
        if (!decisions.delete(request) || reply.raw.writableEnded) return;
        cutSocket(request.raw.socket, decision.kind === 'reset' ? 'reset' : 'close');
      }, decision.cut * STREAM_CUT_WINDOW_MS);
      reply.raw.once('close', () => clearTimeout(timer));
      reply.raw.once('finish', () => clearTimeout(timer));
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const decision = decisions.get(request);
    if (!decision || (decision.kind !== 'reset' && decision.kind !== 'truncate')) return payload;
    decisions.delete(request);
    const socket = request.raw.socket;
    const body =
      typeof payload === 'string'
        ? Buffer.from(payload)
        : Buffer.isBuffer(payload)
          ? payload
          : payload == null
            ? Buffer.alloc(0)
            : undefined;
    if (body === undefined) return payload; // someone else's stream: leave it alone
    if (decision.kind === 'reset' && decision.cut === 0) {
      // Nothing at all reaches the client: the connection is reset before the answer is written.
      if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
      else socket.destroy();
      return payload;
    }
    const mode = decision.kind === 'reset' ? 'reset' : 'close';
    if (decision.kind === 'truncate') void reply.header('content-length', String(body.length));
    else void reply.removeHeader('content-length');
    const prefix = body.subarray(0, Math.floor(decision.cut * body.length));
    return cutShortBody(prefix, socket, mode, () => reply.raw.flushHeaders());
  });

  return injector;
}
