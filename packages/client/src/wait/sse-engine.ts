import type { ClientContext } from '../internal/http.js';
import { StreamEngine } from './stream-engine.js';
import type { WaitEngine, WaitSubscriber } from './subscriber.js';

/** Serves one wait from `GET /v1/jobs/{id}/events` (strategy `sse`). */
export class SseEngine implements WaitEngine {
  private subscriber: WaitSubscriber | undefined;
  private readonly stop = new AbortController();
  private failure: unknown;

  constructor(private readonly ctx: ClientContext) {}

  add(subscriber: WaitSubscriber): void {
    if (this.subscriber !== undefined) throw new Error('An SseEngine serves one wait');
    this.subscriber = subscriber;
    const id = subscriber.jobId;
    const stream = new StreamEngine(this.ctx, {
      path: `v1/jobs/${encodeURIComponent(id)}/events`,
      transport: 'sse',
      ids: () => [id],
      // The per-job stream opens with the job's current state: nothing to catch up on.
      catchUp: undefined,
      onConnect: () => subscriber.countRequest(),
      onJob: (job) => {
        if (job.id === id) subscriber.deliver(job, 'sse');
      },
      onNotFound: () => undefined,
      onFatal: (error) => subscriber.fail(error),
      onOutcome: (failure) => {
        this.failure = failure;
      },
    });
    stream.run(this.stop.signal).catch((error: unknown) => subscriber.fail(error));
  }

  lastFailure(): unknown {
    return this.failure;
  }

  remove(subscriber: WaitSubscriber): void {
    if (subscriber === this.subscriber) this.stop.abort();
  }
}
