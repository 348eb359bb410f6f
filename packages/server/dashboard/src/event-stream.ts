/**
 * `GET /v1/events` read with `fetch` (browsers' EventSource cannot send `Authorization`), parsed by
 * the client's Server-Sent Events parser (bundled in by esbuild), an idle timeout that heartbeats
 * reset, and reconnection with capped, jittered backoff that resumes with `Last-Event-ID`.
 */
import { SseParser } from '../../../client/src/internal/sse-parser.js';

/** An event as the dashboard uses it. */
export interface SseEvent {
  /** The last event id seen on the stream (ids persist across events), if any. */
  id: string | undefined;
  event: string;
  data: string;
}

export type StreamState =
  | { kind: 'connecting' }
  | { kind: 'live' }
  | { kind: 'reconnecting'; inMs: number; reason: string }
  | { kind: 'unauthorized' }
  | { kind: 'stopped' };

export interface EventStreamOptions {
  url: URL;
  headers: () => Record<string, string>;
  onEvent: (event: SseEvent) => void;
  onState: (state: StreamState) => void;
  /** Called after a reconnect that could not resume (no event id yet): reload what may be missed. */
  onGap: () => void;
  /** No byte (event or heartbeat) for this long means the connection is dead. @default 45 s */
  idleTimeoutMs?: number;
  /** @default 1 s (or the server's `retry:`) */
  minDelayMs?: number;
  /** @default 30 s */
  maxDelayMs?: number;
}

export class EventStream {
  readonly #o: Required<EventStreamOptions>;
  #lastId: string | undefined;
  #run: AbortController | undefined;
  #wake: (() => void) | undefined;

  constructor(options: EventStreamOptions) {
    this.#o = { idleTimeoutMs: 45_000, minDelayMs: 1000, maxDelayMs: 30_000, ...options };
  }

  get lastEventId(): string | undefined {
    return this.#lastId;
  }

  /**
   * Starts (or restarts) the stream. `fresh` forgets the last event id: with another key the
   * stream is another tenant's, and the caller reloads the list instead.
   */
  start(fresh = false): void {
    this.stop();
    if (fresh) this.#lastId = undefined;
    const run = new AbortController();
    this.#run = run;
    void this.#loop(run.signal);
  }

  stop(): void {
    this.#run?.abort();
    this.#run = undefined;
  }

  /** Adjusts the idle timeout (e.g. to the server's heartbeat interval); applies from the next byte. */
  setIdleTimeout(ms: number): void {
    if (Number.isFinite(ms) && ms > 0) this.#o.idleTimeoutMs = ms;
  }

  /** Skips the current backoff wait (e.g. the browser came back online). */
  retryNow(): void {
    this.#wake?.();
  }

  async #loop(stopped: AbortSignal): Promise<void> {
    let failures = 0;
    let connectedBefore = false;
    /** The last `retry:` the server sent, in ms. */
    let serverRetryMs: number | undefined;
    const parser = new SseParser({
      onEvent: (event) => {
        if (event.hasId) this.#lastId = event.lastEventId;
        this.#o.onEvent({
          id: event.lastEventId === '' ? undefined : event.lastEventId,
          event: event.type,
          data: event.data,
        });
      },
      onRetry: (ms) => {
        serverRetryMs = ms;
      },
    });
    while (!stopped.aborted) {
      this.#o.onState({ kind: 'connecting' });
      const attempt = new AbortController();
      const abort = () => attempt.abort();
      stopped.addEventListener('abort', abort, { once: true });
      let idle: ReturnType<typeof setTimeout> | undefined;
      const armIdle = () => {
        clearTimeout(idle);
        idle = setTimeout(() => attempt.abort(new Error('idle timeout')), this.#o.idleTimeoutMs);
      };
      let reason = 'connection closed';
      let retryAfterMs = 0;
      try {
        armIdle();
        const headers: Record<string, string> = {
          accept: 'text/event-stream',
          ...this.#o.headers(),
        };
        if (this.#lastId !== undefined) headers['last-event-id'] = this.#lastId;
        const res = await fetch(this.#o.url, {
          headers,
          cache: 'no-store',
          signal: attempt.signal,
        });
        if (res.status === 401 || res.status === 403) {
          void res.body?.cancel();
          this.#o.onState({ kind: 'unauthorized' });
          return;
        }
        if (!res.ok || !res.body) {
          void res.body?.cancel();
          retryAfterMs = Number(res.headers.get('retry-after')) * 1000 || 0;
          throw new Error(`HTTP ${res.status}`);
        }
        this.#o.onState({ kind: 'live' });
        if (connectedBefore && this.#lastId === undefined) this.#o.onGap();
        connectedBefore = true;
        failures = 0;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        // A half-received event of the previous connection is dropped, as the spec says.
        parser.reset();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          armIdle();
          parser.push(value);
        }
      } catch (err) {
        if (stopped.aborted) return;
        const cause = attempt.signal.reason as unknown;
        reason =
          cause instanceof Error ? cause.message : err instanceof Error ? err.message : 'error';
      } finally {
        clearTimeout(idle);
        stopped.removeEventListener('abort', abort);
      }
      if (stopped.aborted) return;
      failures += 1;
      const base = serverRetryMs ?? this.#o.minDelayMs;
      const capped = Math.min(this.#o.maxDelayMs, base * 2 ** (failures - 1));
      // Full jitter on the upper half: many dashboards do not reconnect in step after a restart.
      const delayMs = Math.max(retryAfterMs, Math.round(capped * (0.5 + Math.random() / 2)));
      this.#o.onState({ kind: 'reconnecting', inMs: delayMs, reason });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, delayMs);
        function done() {
          clearTimeout(timer);
          stopped.removeEventListener('abort', done);
          resolve();
        }
        this.#wake = done;
        stopped.addEventListener('abort', done, { once: true });
      });
      this.#wake = undefined;
    }
  }
}
