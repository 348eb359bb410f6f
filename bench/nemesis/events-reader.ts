/**
 * A reader of one tenant's `GET /v1/events`, as a dashboard or a sync job would run it: it keeps a
 * stream open, resumes with `Last-Event-ID` whenever the stream ends or fails, and now and then
 * hangs up on purpose so its next connection lands on another instance. Every connection is one
 * session in the history, with each event and when it arrived.
 */
import { SseParser } from '../../packages/client/src/internal/sse-parser.js';
import type { EventSession, History } from './history.js';
import type { Rng } from './rng.js';

export interface EventsReaderOptions {
  baseUrl: string;
  apiKey: string;
  tenant: string;
  name: string;
  history: History;
  rng: Rng;
  /** The first connection's `Last-Event-ID` (`0-0`: everything from the start). */
  from?: string;
  /** A connection is closed on purpose after a random time in this range, ms. */
  sessionMs: [number, number];
}

export class EventsReader {
  lastId: string | undefined;
  #stopped = false;
  #controller: AbortController | undefined;
  #loop: Promise<void> | undefined;

  constructor(private readonly o: EventsReaderOptions) {
    this.lastId = o.from;
  }

  start(): void {
    this.#loop = this.#run();
  }

  /** Stops at once (the open session ends as `closed`). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#controller?.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const session = await this.#session();
      if (this.#stopped) break;
      // A failed connection is retried soon; a session that ended is resumed at once.
      const pause = session.status === 200 ? 20 : 100 + this.o.rng() * 200;
      await new Promise((r) => setTimeout(r, pause));
    }
  }

  async #session(): Promise<EventSession> {
    const o = this.o;
    const controller = new AbortController();
    this.#controller = controller;
    const [min, max] = o.sessionMs;
    const hangUp = setTimeout(() => controller.abort(), min + o.rng() * (max - min));
    const session: EventSession = {
      reader: o.name,
      tenant: o.tenant,
      lastEventId: this.lastId,
      start: Date.now(),
      end: 0,
      status: null,
      events: [],
      endReason: 'ended',
    };
    o.history.sessions.push(session);
    const headers: Record<string, string> = { authorization: `Bearer ${o.apiKey}` };
    if (this.lastId !== undefined) headers['last-event-id'] = this.lastId;
    try {
      const res = await fetch(`${o.baseUrl}/v1/events`, { headers, signal: controller.signal });
      session.status = res.status;
      if (res.status !== 200 || !res.body) {
        await res.arrayBuffer().catch(() => undefined);
        session.endReason = `status ${res.status}`;
        return session;
      }
      const decoder = new TextDecoder();
      const parser = new SseParser({
        onEvent: (e) => {
          if (e.hasId && e.data !== '') this.#event(session, e.lastEventId, e.type, e.data);
        },
      });
      for await (const chunk of res.body as AsyncIterable<Uint8Array>)
        parser.push(decoder.decode(chunk, { stream: true }));
    } catch (err) {
      session.endReason = controller.signal.aborted
        ? 'closed'
        : err instanceof Error
          ? `${err.name}: ${err.message}`
          : String(err);
    } finally {
      clearTimeout(hangUp);
      session.end = Date.now();
    }
    return session;
  }

  #event(session: EventSession, id: string, type: string, data: string): void {
    const job = JSON.parse(data) as { id: string; status: string; updated_at: string };
    const receivedAt = Date.now();
    session.events.push({
      id,
      type,
      jobId: job.id,
      status: job.status,
      eventAt: Date.parse(job.updated_at),
      receivedAt,
    });
    this.lastId = id;
    this.o.history.observe({
      tenant: this.o.tenant,
      jobId: job.id,
      status: job.status as 'pending',
      kind: 'record',
      start: receivedAt,
      end: receivedAt,
      source: 'GET /v1/events',
    });
  }
}
