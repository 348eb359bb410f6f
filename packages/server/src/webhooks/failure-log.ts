/**
 * What the delivery worker tells an operator about receivers that fail, at `warn`, without
 * flooding the log when one is down and hundreds of deliveries to it retry for hours.
 *
 * Receivers are told apart by origin (scheme, host, port) — never the whole URL, whose path or
 * query may carry a token. For each, the first failed attempt is written in full: why it failed,
 * which delivery, and what happens next (a retry, and when; or nothing: given up, or stopped by a
 * 410). Further failures to that receiver within `quietMs` are only counted; the next line written
 * for it says how many there were. A receiver that answers 2xx again after failing gets one `info`
 * line saying so, with the count. Counts still unwritten at shutdown are written then.
 *
 * Memory is bounded: at most `maxReceivers` receivers are remembered. The least recently written
 * is forgotten first, its counts written as it goes; its next failure is written in full again.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.js';
import type { WebhookDelivery } from '../store/types.js';

/** After a receiver's line, its failures are only counted for this long. */
export const DEFAULT_QUIET_MS = 60_000;
const DEFAULT_MAX_RECEIVERS = 1000;

/** What a failed attempt led to. */
export type AfterFailure =
  { kind: 'retry'; atMs: number } | { kind: 'gave-up' } | { kind: 'stopped' };

export interface FailedAttempt {
  delivery: Pick<WebhookDelivery, 'id' | 'jobId' | 'eventType' | 'url'>;
  /** 1-based. */
  attempt: number;
  /** The most attempts the schedule allows (retries + 1). */
  maxAttempts: number;
  statusCode: number | null;
  error: string | null;
  next: AfterFailure;
}

interface Receiver {
  /** When a line was last written for it. */
  writtenAt: number;
  /** Failed attempts since then that were only counted… */
  unwritten: number;
  /** …of which ended a delivery (no retries left, or a 410). */
  unwrittenEnded: number;
  lastReason: string;
  /** Failed attempts since its last success. */
  failures: number;
}

/** `http://host:port` of a callback URL. */
export function receiverOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(an unparsable callback URL)';
  }
}

/** `50 ms`, `5 s`, `2 min`, `3 h`: how far off a retry is, for a person. */
export function inWords(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 120) return `${min} min`;
  return `${Math.round(min / 60)} h`;
}

export function reasonOf(statusCode: number | null, error: string | null): string {
  if (statusCode !== null) return `HTTP ${statusCode}`;
  return error ?? 'no answer';
}

export class ReceiverFailureLog {
  readonly #receivers = new Map<string, Receiver>();
  readonly #log: Pick<FastifyBaseLogger, 'warn' | 'info'>;
  readonly #clock: Clock;
  readonly #quietMs: number;
  readonly #maxReceivers: number;

  constructor(
    log: Pick<FastifyBaseLogger, 'warn' | 'info'>,
    clock: Clock,
    options: { quietMs?: number; maxReceivers?: number } = {},
  ) {
    this.#log = log;
    this.#clock = clock;
    this.#quietMs = options.quietMs ?? DEFAULT_QUIET_MS;
    this.#maxReceivers = options.maxReceivers ?? DEFAULT_MAX_RECEIVERS;
  }

  failed(f: FailedAttempt): void {
    const origin = receiverOf(f.delivery.url);
    const now = this.#clock.now();
    const reason = reasonOf(f.statusCode, f.error);
    const ended = f.next.kind !== 'retry';
    const known = this.#receivers.get(origin);
    if (known && now - known.writtenAt < this.#quietMs) {
      known.unwritten += 1;
      if (ended) known.unwrittenEnded += 1;
      known.failures += 1;
      known.lastReason = reason;
      return;
    }
    const what = `${f.delivery.eventType} of ${f.delivery.jobId}, attempt ${f.attempt} of ${f.maxAttempts}`;
    const next =
      f.next.kind === 'retry'
        ? `retrying in ${inWords(f.next.atMs - now)}`
        : f.next.kind === 'stopped'
          ? 'the receiver asked to stop (410 Gone): no more attempts'
          : 'no retries left: delivery failed';
    const earlier = known && known.unwritten > 0 ? ` — and ${this.#unwrittenText(known)}` : '';
    this.#log.warn(
      {
        webhook: {
          receiver: origin,
          deliveryId: f.delivery.id,
          jobId: f.delivery.jobId,
          event: f.delivery.eventType,
          attempt: f.attempt,
          statusCode: f.statusCode,
          error: f.error,
          nextAttemptAt: f.next.kind === 'retry' ? new Date(f.next.atMs).toISOString() : null,
          unwrittenFailures: known?.unwritten ?? 0,
        },
      },
      `webhook to ${origin} failed: ${reason} (${what}); ${next}${earlier}`,
    );
    this.#remember(origin, {
      writtenAt: now,
      unwritten: 0,
      unwrittenEnded: 0,
      lastReason: reason,
      failures: (known?.failures ?? 0) + 1,
    });
  }

  succeeded(url: string): void {
    const origin = receiverOf(url);
    const known = this.#receivers.get(origin);
    if (!known) return;
    this.#receivers.delete(origin);
    this.#log.info(
      { webhook: { receiver: origin, failuresBefore: known.failures } },
      `webhooks to ${origin} are delivered again, after ${known.failures} failed attempt${known.failures === 1 ? '' : 's'}`,
    );
  }

  /** Writes the failures only counted so far (at shutdown), and forgets every receiver. */
  flush(): void {
    for (const [origin, known] of this.#receivers) this.#writeUnwritten(origin, known);
    this.#receivers.clear();
  }

  #writeUnwritten(origin: string, known: Receiver): void {
    if (known.unwritten === 0) return;
    this.#log.warn(
      { webhook: { receiver: origin, unwrittenFailures: known.unwritten } },
      `webhook to ${origin}: ${this.#unwrittenText(known)}`,
    );
  }

  /** `12 more failed attempts since the last line (3 ended their delivery; last: HTTP 500)` */
  #unwrittenText(known: Receiver): string {
    const n = known.unwritten;
    const ended = known.unwrittenEnded > 0 ? `${known.unwrittenEnded} ended their delivery; ` : '';
    return `${n} more failed attempt${n === 1 ? '' : 's'} since the last line (${ended}last: ${known.lastReason})`;
  }

  #remember(origin: string, receiver: Receiver): void {
    // Re-inserted, so the map's order is least recently written first.
    this.#receivers.delete(origin);
    this.#receivers.set(origin, receiver);
    if (this.#receivers.size > this.#maxReceivers) {
      const [oldest] = this.#receivers;
      if (!oldest) return;
      this.#receivers.delete(oldest[0]);
      this.#writeUnwritten(...oldest);
    }
  }
}
