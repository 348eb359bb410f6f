/**
 * The delivery worker: sends queued webhook deliveries in the background, never on a request's
 * path. It polls the store for due deliveries on a short timer and is woken at once when an event
 * is written; each due delivery is leased before it is sent, so across instances exactly one sends
 * each attempt. Every attempt is recorded; a retry is scheduled with jitter until the schedule
 * runs out. At-least-once: a crash between sending and recording sends that attempt again.
 * Failed attempts are logged at `warn` per receiver, without flooding (`failure-log.ts`).
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.js';
import type { DeliveryState, Store, WebhookDelivery } from '../store/types.js';
import { retryDelayMs } from './retry-schedule.js';
import { ReceiverFailureLog } from './failure-log.js';
import type { WebhookSecrets } from './secrets.js';
import { sendWebhook, type ResolveAll, type SendResult } from './sender.js';
import { signatureHeader } from './signature.js';

export const WEBHOOK_USER_AGENT = 'vtrans-webhooks/0.1';
/** Deliveries in flight at once per instance. */
const DEFAULT_CONCURRENCY = 16;
/** A lease outlives the attempt (resolve + send, each bounded by the timeout) by this margin. */
const LEASE_MARGIN_MS = 5000;
const HTTP_GONE = 410;
const MS_PER_S = 1000;
const WAKE_EVENTS = new Set(['job.updated', 'job.completed', 'job.failed', 'job.canceled']);

/** The minimal metrics registry the worker counts into (`ctx.metrics` fits). */
export interface CounterRegistry {
  counter(
    name: string,
    help: string,
    labelNames?: readonly string[],
  ): { inc(labels: Record<string, string>, value?: number): void };
}

export interface DeliveryWorkerOptions {
  store: Store;
  clock: Clock;
  log: Pick<FastifyBaseLogger, 'warn' | 'info' | 'debug'>;
  secrets: WebhookSecrets;
  retryDelaysMs: readonly number[];
  timeoutMs: number;
  allowHosts: readonly string[];
  pollIntervalMs: number;
  /** In [0, 1), for jitter. @default Math.random */
  random?: () => number;
  /** Name resolution (tests inject one). @default dns.lookup with all: true */
  resolve?: ResolveAll;
  metrics?: CounterRegistry;
  /** @default 16 */
  concurrency?: number;
  /** After a failing receiver's log line, its failures are only counted for this long. @default 60 s */
  failureLogQuietMs?: number;
}

/** Counts since start, readable without a metrics registry. */
export interface DeliveryStats {
  /** Attempts made (including ones the address guard refused). */
  attempts: number;
  /** Deliveries that got a 2xx. */
  succeeded: number;
  /** Attempts that did not get a 2xx. */
  failedAttempts: number;
  /** Retries scheduled. */
  retries: number;
  /** Deliveries given up after the last retry. */
  exhausted: number;
  /** Deliveries stopped by a 410. */
  stopped: number;
}

export class DeliveryWorker {
  readonly stats: DeliveryStats = {
    attempts: 0,
    succeeded: 0,
    failedAttempts: 0,
    retries: 0,
    exhausted: 0,
    stopped: 0,
  };
  readonly #o: DeliveryWorkerOptions;
  readonly #inflight = new Set<Promise<void>>();
  #abort = new AbortController();
  readonly #counters;
  /** Failed attempts, told to the operator per receiver without flooding the log. */
  readonly #failures: ReceiverFailureLog;
  #running = false;
  #claiming: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  /** The earliest retry this instance scheduled: the timer wakes for it even before a poll. */
  #soonestRetryAt = Infinity;
  #unsubscribe: (() => void) | undefined;

  constructor(options: DeliveryWorkerOptions) {
    this.#o = options;
    this.#failures = new ReceiverFailureLog(options.log, options.clock, {
      ...(options.failureLogQuietMs !== undefined ? { quietMs: options.failureLogQuietMs } : {}),
    });
    const m = options.metrics;
    this.#counters = m && {
      attempts: m.counter('vtrans_webhook_attempts_total', 'Webhook delivery attempts', ['result']),
      deliveries: m.counter(
        'vtrans_webhook_deliveries_total',
        'Webhook deliveries finished, by final state (succeeded, failed, stopped)',
        ['state'],
      ),
      retries: m.counter('vtrans_webhook_retries_total', 'Webhook retries scheduled'),
    };
  }

  /** Starts polling, and listens for written events to wake at once. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    if (this.#abort.signal.aborted) this.#abort = new AbortController();
    this.#unsubscribe = this.#o.store.subscribe((notice) => {
      if (WAKE_EVENTS.has(notice.event.type)) this.wake();
    });
    this.wake();
  }

  /** Looks for due deliveries now. */
  wake(): void {
    if (!this.#running) return;
    if (this.#claiming) {
      this.#again = true;
      return;
    }
    this.#arm(0);
  }

  /**
   * Stops claiming, aborts attempts in flight (they are recorded as due again at once, so the
   * next start — of any instance — retries them) and waits for them to be recorded.
   */
  async stop(): Promise<void> {
    this.#running = false;
    this.#unsubscribe?.();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
    await this.#claiming;
    await Promise.allSettled([...this.#inflight]);
    this.#failures.flush();
  }

  #arm(delayMs: number): void {
    if (!this.#running) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#claiming = this.#claim().finally(() => {
        this.#claiming = undefined;
        this.#afterClaim();
      });
    }, delayMs);
    this.#timer.unref();
  }

  #afterClaim(): void {
    if (!this.#running) return;
    if (this.#again) {
      this.#again = false;
      this.#arm(0);
      return;
    }
    const untilRetry = this.#soonestRetryAt - this.#o.clock.now();
    this.#arm(Math.max(0, Math.min(this.#o.pollIntervalMs, untilRetry)));
  }

  async #claim(): Promise<void> {
    const concurrency = this.#o.concurrency ?? DEFAULT_CONCURRENCY;
    try {
      while (this.#running) {
        const room = concurrency - this.#inflight.size;
        if (room <= 0) return;
        const now = this.#o.clock.now();
        if (this.#soonestRetryAt <= now) this.#soonestRetryAt = Infinity;
        const leaseMs = 2 * this.#o.timeoutMs + LEASE_MARGIN_MS;
        const due = await this.#o.store.claimDueDeliveries(now, leaseMs, room);
        for (const delivery of due) {
          const attempt: Promise<void> = this.#attempt(delivery).finally(() => {
            this.#inflight.delete(attempt);
            this.wake();
          });
          this.#inflight.add(attempt);
        }
        if (due.length < room) return;
      }
    } catch (err) {
      this.#o.log.warn({ err }, 'webhook worker could not claim deliveries; retrying');
    }
  }

  async #attempt(delivery: WebhookDelivery): Promise<void> {
    const o = this.#o;
    const attempt = delivery.attempts + 1;
    try {
      const at = o.clock.now();
      const timestampS = Math.floor(at / MS_PER_S);
      const secrets = await o.secrets.signing(delivery.tenant, at);
      const result = await sendWebhook({
        url: delivery.url,
        body: delivery.body,
        timeoutMs: o.timeoutMs,
        allowHosts: o.allowHosts,
        signal: this.#abort.signal,
        ...(o.resolve ? { resolve: o.resolve } : {}),
        headers: {
          'content-type': 'application/json',
          'user-agent': WEBHOOK_USER_AGENT,
          'webhook-id': delivery.id,
          'webhook-timestamp': String(timestampS),
          'webhook-signature': signatureHeader(secrets, delivery.id, timestampS, delivery.body),
        },
      });
      const { state, nextAttemptAt } = this.#next(result, attempt, o.clock.now());
      const recorded = await o.store.recordAttempt(
        {
          deliveryId: delivery.id,
          attempt,
          at,
          durationMs: result.durationMs,
          statusCode: result.statusCode,
          error: result.error,
          nextAttemptAt,
        },
        state,
      );
      if (!recorded) {
        o.log.debug({ deliveryId: delivery.id, attempt }, 'webhook attempt already recorded');
        return;
      }
      this.#count(result, state, nextAttemptAt);
      this.#tell(delivery, attempt, result, state, nextAttemptAt);
    } catch (err) {
      // The lease expires and the attempt is made again.
      o.log.warn({ err, deliveryId: delivery.id, attempt }, 'webhook attempt failed unexpectedly');
    }
  }

  #next(
    result: SendResult,
    attempt: number,
    now: number,
  ): { state: DeliveryState; nextAttemptAt: number | null } {
    const code = result.statusCode;
    if (code !== null && code >= 200 && code < 300)
      return { state: 'succeeded', nextAttemptAt: null };
    if (code === HTTP_GONE) return { state: 'stopped', nextAttemptAt: null };
    if (result.isAborted) return { state: 'pending', nextAttemptAt: now };
    const delay = retryDelayMs(this.#o.retryDelaysMs, attempt, this.#o.random ?? Math.random);
    if (delay === undefined) return { state: 'failed', nextAttemptAt: null };
    return { state: 'pending', nextAttemptAt: now + delay };
  }

  /** Tells the failure log how an attempt went (an attempt cut short by shutdown is no failure). */
  #tell(
    delivery: WebhookDelivery,
    attempt: number,
    result: SendResult,
    state: DeliveryState,
    nextAttemptAt: number | null,
  ): void {
    if (result.isAborted) return;
    if (state === 'succeeded') {
      this.#failures.succeeded(delivery.url);
      return;
    }
    this.#failures.failed({
      delivery,
      attempt,
      maxAttempts: this.#o.retryDelaysMs.length + 1,
      statusCode: result.statusCode,
      error: result.error,
      next:
        state === 'pending' && nextAttemptAt !== null
          ? { kind: 'retry', atMs: nextAttemptAt }
          : state === 'stopped'
            ? { kind: 'stopped' }
            : { kind: 'gave-up' },
    });
  }

  #count(result: SendResult, state: DeliveryState, nextAttemptAt: number | null): void {
    if (result.isAborted) return;
    const s = this.stats;
    s.attempts += 1;
    const isSuccess = state === 'succeeded';
    if (!isSuccess) s.failedAttempts += 1;
    this.#counters?.attempts.inc({ result: isSuccess ? 'success' : 'failure' });
    if (state === 'pending' && nextAttemptAt !== null) {
      s.retries += 1;
      this.#counters?.retries.inc({});
      this.#soonestRetryAt = Math.min(this.#soonestRetryAt, nextAttemptAt);
      return;
    }
    if (state === 'succeeded') s.succeeded += 1;
    if (state === 'failed') s.exhausted += 1;
    if (state === 'stopped') s.stopped += 1;
    this.#counters?.deliveries.inc({ state });
  }
}
