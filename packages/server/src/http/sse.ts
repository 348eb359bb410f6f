/**
 * A Server-Sent Events stream over a hijacked reply: the headers the hooks set (request id, CORS,
 * security) are kept, a heartbeat comment keeps proxies and the client's idle timer awake, and a
 * consumer that stops reading is dropped rather than buffered without bound.
 */
import type { FastifyReply } from 'fastify';

export interface SseOptions {
  heartbeatMs: number;
  /** A consumer with more than this many bytes unread is dropped. */
  maxBufferedBytes: number;
  /** Suggested reconnection delay sent to the client. */
  retryMs?: number;
}

export class SseStream {
  readonly #reply: FastifyReply;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #closeListeners: (() => void)[] = [];
  #closed = false;

  constructor(
    reply: FastifyReply,
    private readonly options: SseOptions,
  ) {
    this.#reply = reply;
    const raw = reply.raw;
    const headers: Record<string, string | number | string[]> = {};
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) headers[name] = value;
    }
    reply.hijack();
    raw.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    raw.flushHeaders();
    if (options.retryMs !== undefined) raw.write(`retry: ${options.retryMs}\n\n`);
    raw.once('close', () => this.close());
    this.#heartbeat = setInterval(() => this.comment('heartbeat'), options.heartbeatMs);
    this.#heartbeat.unref?.();
    // A HEAD answer has no body: end it after the headers rather than hold the socket forever.
    if (reply.request.method === 'HEAD') this.close();
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  onClose(fn: () => void): void {
    if (this.#closed) fn();
    else this.#closeListeners.push(fn);
  }

  #write(chunk: string): void {
    if (this.#closed) return;
    const raw = this.#reply.raw;
    if (raw.writableLength > this.options.maxBufferedBytes) {
      // A slow consumer: drop it; it can reconnect and resume with Last-Event-ID.
      raw.destroy();
      this.close();
      return;
    }
    raw.write(chunk);
  }

  /**
   * Resolves once the consumer has taken what was written (or the stream closed): a writer of
   * many events — a replay — waits on it between batches instead of outrunning the consumer
   * into the slow-consumer limit.
   */
  async drained(): Promise<void> {
    const raw = this.#reply.raw;
    if (this.#closed || !raw.writableNeedDrain) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        raw.off('drain', done);
        raw.off('close', done);
        resolve();
      };
      raw.once('drain', done);
      raw.once('close', done);
    });
  }

  send(event: { id?: string; event: string; data: unknown }): void {
    let chunk = '';
    if (event.id !== undefined) chunk += `id: ${event.id}\n`;
    chunk += `event: ${event.event}\n`;
    chunk += `data: ${JSON.stringify(event.data)}\n\n`;
    this.#write(chunk);
  }

  comment(text: string): void {
    this.#write(`: ${text}\n\n`);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    const raw = this.#reply.raw;
    if (!raw.writableEnded) raw.end();
    for (const fn of this.#closeListeners.splice(0)) fn();
  }
}
