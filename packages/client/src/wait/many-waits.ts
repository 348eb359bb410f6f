import { ApiError } from '../errors/api-error.js';
import type { ClientContext } from '../internal/http.js';
import { isTransientError, recordSuccess } from '../internal/retry.js';
import { yieldSocket } from '../internal/sleep.js';
import { type WaitTransport } from '../options.js';
import { TUNING } from '../internal/tuning.js';
import type { Job } from '../types/job.js';
import { fetchBatchStatus } from './long-poll.js';
import { StreamEngine } from './stream-engine.js';
import { notFoundError, type WaitSubscriber } from './subscriber.js';

/** What the shared engine exposes to serve more than 100 waits. */
export interface ManyWaitsHost {
  readonly ctx: ClientContext;
  ids(): string[];
  subscribersOf(id: string): Iterable<WaitSubscriber>;
  dispatch(job: Job, transport: WaitTransport): boolean;
  failId(id: string, error: unknown): void;
  failAll(error: unknown): void;
  markStreamUnsupported(): void;
  /** How the latest request went: its (transient) failure, or `undefined` when it succeeded. */
  noteOutcome(failure: unknown): void;
}

/** Answers to `GET /v1/events` meaning the server has no such route. */
const UNSUPPORTED_STATUSES: ReadonlySet<number> = new Set([404, 405, 501]);

function countFor(host: ManyWaitsHost, ids: readonly string[]): void {
  for (const id of ids) for (const sub of host.subscribersOf(id)) sub.countRequest();
}

/**
 * One `/v1/events` stream for all the waits, caught up by batch requests once open. A server
 * without the route switches the host to batch polling; while the stream cannot be opened, every
 * reconnection is preceded by one round of batch polling.
 */
export function createEventsStream(host: ManyWaitsHost): StreamEngine {
  return new StreamEngine(host.ctx, {
    path: 'v1/events',
    transport: 'events',
    ids: () => host.ids(),
    catchUp: (ids, signal) => {
      countFor(host, ids);
      return fetchBatchStatus(host.ctx, ids, { holdS: 0, ifNoneMatch: undefined, signal });
    },
    onJob: (job) => host.dispatch(job, 'events'),
    onConnect: () => countFor(host, host.ids()),
    onNotFound: (id) => host.failId(id, notFoundError(id)),
    onFatal: (error) => {
      if (error instanceof ApiError && UNSUPPORTED_STATUSES.has(error.status)) {
        host.ctx.options.logger.warn?.('vtrans: no /v1/events on this server, polling in batches');
        host.markStreamUnsupported();
      } else {
        host.failAll(error);
      }
    },
    onOutcome: (failure) => host.noteOutcome(failure),
    onUnavailable: (signal) => pollInBatches(host, signal),
  });
}

/** One plain (unheld) batch request per 100 waits; a transient failure ends the round early. */
export async function pollInBatches(host: ManyWaitsHost, stop: AbortSignal): Promise<void> {
  const ids = host.ids();
  for (let i = 0; i < ids.length && !stop.aborted; i += TUNING.maxBatchSize) {
    const chunk = ids.slice(i, i + TUNING.maxBatchSize);
    countFor(host, chunk);
    try {
      await yieldSocket(host.ctx);
      const answer = await fetchBatchStatus(host.ctx, chunk, {
        holdS: 0,
        ifNoneMatch: undefined,
        signal: stop,
      });
      recordSuccess(host.ctx);
      host.noteOutcome(undefined);
      for (const job of answer.jobs) host.dispatch(job, 'poll');
      for (const id of answer.notFound) host.failId(id, notFoundError(id));
    } catch (error) {
      if (stop.aborted) return;
      if (isTransientError(error)) {
        host.noteOutcome(error);
        return;
      }
      for (const id of chunk) host.failId(id, error);
    }
  }
}
