/**
 * The Redis store's notices: one subscriber connection per instance receives every write's notice
 * (this instance's own writes too — they come back through Redis, in the order Redis ran them, so
 * an event stream never sees a newer event before an older one). Each tenant's events are delivered
 * once and in order (their stream ids only grow). After the subscriber reconnects, the events
 * written meanwhile are read back from the tenants' streams, so a Redis restart or a network blip
 * costs no notice — held requests and event streams hear about every change.
 */
import type { Redis } from 'ioredis';
import { Notifier } from './notifier.js';
import { compareEventIds, type StoreNotice, type StoredEvent } from './types.js';

export interface RedisStoreLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface NoticeSource {
  /** Every tenant that ever had an event. */
  tenants(): Promise<string[]>;
  readEvents(tenant: string, afterId: string | undefined, limit: number): Promise<StoredEvent[]>;
}

const CATCH_UP_PAGE = 1000;
/** A reconnect reads back at most this many pages per tenant; a longer gap is re-read by clients. */
const CATCH_UP_MAX_PAGES = 20;
const CATCH_UP_RETRY_MS = 500;

/** Parses a notice line `<event id> <event JSON>`; `undefined` when it is not one of ours. */
export function parseNotice(message: string): StoredEvent | undefined {
  const space = message.indexOf(' ');
  if (space <= 0) return undefined;
  try {
    const event = JSON.parse(message.slice(space + 1)) as Omit<StoredEvent, 'id'>;
    if (typeof event.tenant !== 'string' || typeof event.jobId !== 'string') return undefined;
    return { id: message.slice(0, space), ...event };
  } catch {
    return undefined;
  }
}

export class RedisNotices {
  readonly #notifier = new Notifier();
  readonly #lastByTenant = new Map<string, string>();
  /** Notices that arrive until a catch-up succeeds wait here, to keep each tenant's order. */
  #queued: StoredEvent[] | undefined;
  #catchingUp = false;
  /** Events older than this were written before this instance listened (stream ids are Redis time). */
  #sinceId = '0-0';
  #hasBeenReady = false;
  #closed = false;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sub: Redis,
    private readonly channel: string,
    private readonly source: NoticeSource,
    private readonly log: RedisStoreLog,
  ) {}

  /** Subscribes; resolves once notices flow. */
  async start(): Promise<void> {
    this.sub.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      // A script that writes several events announces them in one message, a line each.
      for (const line of message.split('\n')) {
        const event = parseNotice(line);
        if (!event) continue;
        if (this.#queued) this.#queued.push(event);
        else this.#deliver(event);
      }
    });
    this.sub.on('ready', () => {
      if (!this.#hasBeenReady || this.#closed) return;
      this.log.info({ channel: this.channel }, 'Redis subscriber reconnected; catching up');
      void this.#catchUp();
    });
    const [seconds] = (await this.sub.time()) as [string | number, string | number];
    this.#sinceId = `${Number(seconds) * 1000}-0`;
    await this.sub.subscribe(this.channel);
    this.#hasBeenReady = true;
  }

  subscribe(listener: (notice: StoreNotice) => void): () => void {
    return this.#notifier.subscribe(listener);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
  }

  #deliver(event: StoredEvent): void {
    const last = this.#lastByTenant.get(event.tenant);
    if (last !== undefined && compareEventIds(event.id, last) <= 0) return;
    this.#lastByTenant.set(event.tenant, event.id);
    this.#notifier.publish({ kind: 'event', event });
  }

  async #catchUp(): Promise<void> {
    if (this.#catchingUp) return;
    this.#catchingUp = true;
    // Notices arriving from now on wait until the read-back succeeds (also across failed tries),
    // so none overtakes an event that is still to be read back: that one would be skipped.
    this.#queued ??= [];
    let isCaughtUp = false;
    try {
      // Subscribe again before reading: anything written after this point arrives as a notice.
      await this.sub.subscribe(this.channel);
      let replayed = 0;
      for (const tenant of await this.source.tenants()) {
        let after = this.#lastByTenant.get(tenant) ?? this.#sinceId;
        for (let page = 0; page < CATCH_UP_MAX_PAGES; page++) {
          const events = await this.source.readEvents(tenant, after, CATCH_UP_PAGE);
          for (const event of events) this.#deliver(event);
          replayed += events.length;
          const last = events[events.length - 1];
          if (!last || events.length < CATCH_UP_PAGE) break;
          after = last.id;
        }
      }
      isCaughtUp = true;
      this.log.info({ replayed }, 'Redis notices caught up after reconnect');
    } catch (err) {
      if (!this.#closed) {
        this.log.warn({ err }, 'Redis notice catch-up failed; retrying');
        this.#retryTimer = setTimeout(() => void this.#catchUp(), CATCH_UP_RETRY_MS);
        this.#retryTimer.unref();
      }
    } finally {
      this.#catchingUp = false;
      if (isCaughtUp || this.#closed) {
        const queued = this.#queued ?? [];
        this.#queued = undefined;
        queued.sort((a, b) => compareEventIds(a.id, b.id));
        for (const event of queued) this.#deliver(event);
      }
    }
  }
}
