/**
 * `GET /v1/events` read with `fetch` (browsers' EventSource cannot send `Authorization`), a small
 * Server-Sent Events parser, an idle timeout that heartbeats reset, and reconnection with capped,
 * jittered backoff that resumes with `Last-Event-ID`.
 */

export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
}

/** Incremental parser for the `text/event-stream` format (WHATWG HTML §9.2.6). */
export class SseParser {
  #buffer = '';
  #data: string[] = [];
  #event = '';
  #id: string | undefined;
  /** The last `retry:` the server sent, in ms. */
  retryMs: number | undefined;

  /** Feeds decoded text; returns the events it completed. */
  feed(chunk: string): SseEvent[] {
    let text = this.#buffer + chunk;
    // A trailing \r may be the first half of a \r\n split across chunks: decide on the next one.
    const held = text.endsWith('\r') ? '\r' : '';
    if (held) text = text.slice(0, -1);
    const out: SseEvent[] = [];
    const lines = text.split(/\r\n|\r|\n/);
    this.#buffer = (lines.pop() ?? '') + held;
    for (const line of lines) this.#line(line, out);
    return out;
  }

  #line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.#data.length > 0) {
        out.push({ id: this.#id, event: this.#event || 'message', data: this.#data.join('\n') });
      }
      this.#data = [];
      this.#event = '';
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
    else if (field === 'id' && !value.includes('\0')) this.#id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
  }
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
    const parser = new SseParser();
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
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          armIdle();
          for (const event of parser.feed(value)) {
            if (event.id !== undefined) this.#lastId = event.id;
            this.#o.onEvent(event);
          }
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
      const base = parser.retryMs ?? this.#o.minDelayMs;
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
