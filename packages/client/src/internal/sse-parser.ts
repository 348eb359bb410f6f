/** One dispatched server-sent event. */
export interface SseEvent {
  /** `event:` field; `message` when absent. */
  readonly type: string;
  /** `data:` lines joined with `\n`. */
  readonly data: string;
  /** The last event id seen so far in the stream (ids persist across events, per the spec). */
  readonly lastEventId: string;
  /** Whether this event itself carried an `id:` field. */
  readonly hasId: boolean;
  /** `retry:` in ms, when this event carried one. */
  readonly retryMs: number | undefined;
}

/** Callbacks of {@link SseParser}. */
export interface SseParserHandlers {
  onEvent(event: SseEvent): void;
  /** Comment lines (`: heartbeat`), which keep an idle timer alive. */
  onComment?(text: string): void;
  /**
   * A valid `retry:` field: the server's reconnection delay, in ms. Told at once, as the spec sets
   * the reconnection time, whether or not an event follows (a server may send it alone).
   */
  onRetry?(retryMs: number): void;
}

const BOM = '\uFEFF';
const DIGITS = /^\d+$/;

/**
 * An incremental parser for the `text/event-stream` format (WHATWG HTML §9.2.6): feed it text
 * in chunks of any size; lines may end in CRLF, LF or CR, even split across chunks. The one SSE
 * parser of the repository: the client's streams, the dashboard (bundled from this file) and the
 * server's tests all read events with it. Not exported by the package.
 */
export class SseParser {
  private buffer = '';
  private isFirstChunk = true;
  private pendingCr = false;
  private data: string[] = [];
  private type = '';
  private lastEventId = '';
  private hasId = false;
  private retryMs: number | undefined;

  constructor(private readonly handlers: SseParserHandlers) {}

  /** Parses `chunk`, dispatching every complete event in it. */
  push(chunk: string): void {
    let text = chunk;
    if (this.isFirstChunk && text.length > 0) {
      this.isFirstChunk = false;
      if (text.startsWith(BOM)) text = text.slice(BOM.length);
    }
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i += 1) {
      const char = this.buffer[i];
      if (char !== '\n' && char !== '\r') continue;
      this.processLine(this.buffer.slice(start, i));
      if (char === '\r') {
        if (i + 1 === this.buffer.length) this.pendingCr = true;
        else if (this.buffer[i + 1] === '\n') i += 1;
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
  }

  /** Drops a half-received event (the stream ended): the spec discards it. */
  reset(): void {
    this.buffer = '';
    this.pendingCr = false;
    this.clearEvent();
  }

  private processLine(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) {
      this.handlers.onComment?.(line.slice(1).trimStart());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.type = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) {
          this.lastEventId = value;
          this.hasId = true;
        }
        break;
      case 'retry':
        if (DIGITS.test(value)) {
          this.retryMs = Number(value);
          this.handlers.onRetry?.(this.retryMs);
        }
        break;
      default:
        break;
    }
  }

  private dispatch(): void {
    if (this.data.length > 0) {
      this.handlers.onEvent({
        type: this.type === '' ? 'message' : this.type,
        data: this.data.join('\n'),
        lastEventId: this.lastEventId,
        hasId: this.hasId,
        retryMs: this.retryMs,
      });
    }
    this.clearEvent();
  }

  private clearEvent(): void {
    this.data = [];
    this.type = '';
    this.hasId = false;
    this.retryMs = undefined;
  }
}
