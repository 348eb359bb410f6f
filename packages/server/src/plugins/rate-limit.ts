/**
 * Rate limits per API key (per client address in open mode) on the API routes — `/v1…` and
 * `/status` — and a per-key cap on held long polls and streams. Health, readiness, metrics, the API
 * description, the docs page and the dashboard's assets are not limited. The limiter runs once, in
 * `onRequest`, so a held long poll counts as one request however often it wakes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { routePattern } from '../http/route-pattern.js';
import type { AppContext } from '../context.js';
import { ProblemError } from '../errors.js';
import { parsePreferWait } from '../http/conditional.js';
import { isApiPath } from './auth.js';
import {
  DEFAULT_TIER,
  formatPolicyHeader,
  formatRateLimitHeader,
  resetSeconds,
} from '../rate-limit/policies.js';
import type { RateLimitPolicy } from '../rate-limit/types.js';

/** Whether a request may be held (a long poll asking to wait) or is a stream. */
function holdKind(request: FastifyRequest): 'hold' | 'stream' | undefined {
  if (request.method !== 'GET') return undefined;
  const route = routePattern(request) ?? '';
  if (route.endsWith('/events')) return 'stream';
  if (route !== '/v1/jobs/:id' && route !== '/v1/jobs') return undefined;
  const query = request.query as { wait?: unknown } | undefined;
  const asked =
    query?.wait !== undefined ? Number(query.wait) : parsePreferWait(request.headers.prefer);
  return asked !== undefined && asked > 0 ? 'hold' : undefined;
}

export interface RateLimitOptions {
  /** The tiers; requests without a key get `free` (or the first tier). None: no limits. */
  policies: readonly RateLimitPolicy[];
}

/** Whom a request is counted against: its key, or its client address in open mode. */
function subjectOf(request: FastifyRequest): string {
  return request.principal ? request.principal.keyId : `ip:${request.ip}`;
}

function answerAtOnce(request: FastifyRequest): void {
  // Past the per-key cap a long poll is answered at once, as past the global cap: the wait is
  // dropped before the route reads it, so the answer carries no `Preference-Applied`.
  delete request.headers.prefer;
  const query = request.query as Record<string, unknown> | undefined;
  if (query && 'wait' in query) delete query.wait;
}

export function registerRateLimit(
  app: FastifyInstance,
  ctx: AppContext,
  options: RateLimitOptions,
): void {
  const byName = new Map(options.policies.map((p) => [p.name, p]));
  const anonymousPolicy = byName.get(DEFAULT_TIER) ?? options.policies[0];
  const heldBySubject = new Map<string, number>();
  const cap = ctx.config.maxWaitersPerKey;

  const release = (subject: string) => {
    const n = (heldBySubject.get(subject) ?? 1) - 1;
    if (n <= 0) heldBySubject.delete(subject);
    else heldBySubject.set(subject, n);
  };

  const setHeaders = (reply: FastifyReply, headers: Record<string, string>) => {
    for (const [name, value] of Object.entries(headers)) void reply.header(name, value);
  };

  /** Charges the request to the policy; a rejection is the 429 to answer. */
  const charge = async (
    reply: FastifyReply,
    subject: string,
    policy: RateLimitPolicy,
  ): Promise<void> => {
    const decision = await ctx.limiter.consume(subject, policy, ctx.clock.now());
    const headers = {
      'ratelimit-policy': formatPolicyHeader(policy),
      ratelimit: formatRateLimitHeader(policy, decision),
    };
    if (!decision.allowed) {
      ctx.metrics.rateLimited.inc({ tier: policy.name });
      const retryAfterS = resetSeconds(decision);
      throw new ProblemError(
        'rate_limited',
        `Rate limit of ${policy.limit} requests per ${policy.windowS} s (tier ${policy.name}) reached; retry in ${retryAfterS} s`,
        { headers: { ...headers, 'retry-after': String(retryAfterS) } },
      );
    }
    setHeaders(reply, headers);
  };

  /** Counts a held long poll or stream against the per-key cap; the error to answer, if any. */
  const admitHold = (request: FastifyRequest, reply: FastifyReply): ProblemError | undefined => {
    const kind = holdKind(request);
    if (!kind) return undefined;
    const subject = subjectOf(request);
    const held = heldBySubject.get(subject) ?? 0;
    if (held >= cap) {
      if (kind === 'stream') {
        return new ProblemError(
          'server_busy',
          `This ${request.principal ? 'key' : 'address'} already holds ${cap} long polls and streams; close some or retry shortly`,
          { headers: { 'retry-after': '1' } },
        );
      }
      answerAtOnce(request);
      return undefined;
    }
    heldBySubject.set(subject, held + 1);
    let released = false;
    const releaseOnce = () => {
      if (released) return;
      released = true;
      release(subject);
    };
    // A response closes once, finished or not: one plain listener, no `once` wrappers.
    reply.raw.on('close', releaseOnce);
    return undefined;
  };

  // Callback style: with no policy to charge (open mode's default) nothing here waits, so the
  // hook makes no promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    // The API routes only: operations, docs and the dashboard are not limited.
    if (request.method === 'OPTIONS' || !isApiPath(request)) return done();
    // Requests without a key (open mode, or bare `/status`) are counted per client address.
    const policy = request.principal ? byName.get(request.principal.tier) : anonymousPolicy;
    if (!policy) return done(admitHold(request, reply));
    charge(reply, subjectOf(request), policy)
      .then(() => admitHold(request, reply))
      .then(done, done);
  });
}
