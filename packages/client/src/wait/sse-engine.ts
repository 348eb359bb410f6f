import type { ClientContext } from '../internal/http.js';
import { fetchJobStatus } from './long-poll.js';
import { StreamEngine } from './stream-engine.js';
import type { WaitEngine, WaitSubscriber } from './subscriber.js';

/** Serves one wait from `GET /v1/jobs/{id}/events` (strategy `sse`). */
export class SseEngine implements WaitEngine {
  private subscriber: WaitSubscriber | undefined;
  private readonly stop = new AbortController();

  constructor(private readonly ctx: ClientContext) {}

  add(subscriber: WaitSubscriber): void {
    if (this.subscriber !== undefined) throw new Error('An SseEngine serves one wait');
    this.subscriber = subscriber;
    const id = subscriber.jobId;
    const stream = new StreamEngine(this.ctx, {
      path: `v1/jobs/${encodeURIComponent(id)}/events`,
      transport: 'sse',
      ids: () => [id],
      catchUp: (_ids, signal) => {
        subscriber.countRequest();
        return fetchJobStatus(this.ctx, id, { holdS: 0, ifNoneMatch: undefined, signal });
      },
      onJob: (job) => {
        if (job.id === id) subscriber.deliver(job, 'sse');
      },
      onNotFound: () => undefined,
      onFatal: (error) => subscriber.fail(error),
    });
    subscriber.countRequest();
    void stream.run(this.stop.signal);
  }

  remove(subscriber: WaitSubscriber): void {
    if (subscriber === this.subscriber) this.stop.abort();
  }
}
