/**
 * One long poll, for the single-job and the batch read: take a place among the held requests,
 * hold until the state changes (or cannot change any more), release the place, set the ETag and
 * wait headers, and answer 304 when the caller's `If-None-Match` still names the state.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { etagMatches, parseIfNoneMatch } from '../http/conditional.js';
import { holdForChange } from '../wait/hold.js';
import { disconnectSignal, requestedWaitS, setWaitHeaders } from './job-reply.js';

export interface LongPoll<T> {
  /** The jobs whose notices wake the hold. */
  jobIds: readonly string[];
  /** `?wait=` as the schema parsed it (`Prefer: wait=` is read here when it is absent). */
  queryWait: number | undefined;
  /** Reads the current state, evaluated no earlier than `notBefore` (epoch ms). */
  read(notBefore: number): Promise<T>;
  etag(state: T): string;
  /**
   * The ETag of the state the caller already has, from the `If-None-Match` tags; `undefined`
   * holds against the state of the first read.
   */
  baseline(tags: readonly string[] | undefined): string | undefined;
  /** A state that can no longer change is answered at once, never held. */
  isSettled(state: T): boolean;
  /** Sets the answer's own headers (besides ETag and the wait headers) and returns its body. */
  render(state: T): unknown;
}

export async function answerLongPoll<T>(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  poll: LongPoll<T>,
): Promise<FastifyReply> {
  const tags = parseIfNoneMatch(request.headers['if-none-match']);
  const waitS = requestedWaitS(request, poll.queryWait);
  // Past VT_MAX_WAITERS (or while closing) the request is answered at once, without the hold.
  const release = waitS ? ctx.waiters.acquire('hold') : undefined;
  let state: T;
  try {
    if (release && waitS) {
      let baseline = poll.baseline(tags);
      let last: T | undefined;
      const answer = await holdForChange({
        hub: ctx.hub,
        jobIds: poll.jobIds,
        waitMs: waitS * 1000,
        signals: [ctx.waiters.shutdownSignal, disconnectSignal(reply)],
        check: async (notBefore) => {
          const current = await poll.read(notBefore);
          last = current;
          const etag = poll.etag(current);
          baseline ??= etag;
          return etag !== baseline || poll.isSettled(current) ? current : undefined;
        },
      });
      // `check` ran at least once, so `last` is set whenever there is no answer.
      state = answer ?? (last as T);
    } else {
      state = await poll.read(0);
    }
  } finally {
    release?.();
  }
  const body = poll.render(state);
  const etag = poll.etag(state);
  void reply.header('etag', etag);
  if (waitS !== undefined) setWaitHeaders(reply, release || waitS === 0 ? waitS : undefined);
  if (etagMatches(tags, etag)) return reply.code(304).send();
  return reply.send(body);
}
