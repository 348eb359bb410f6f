/** A store that lives in this process only: for tests and throwaway runs. */
import { TERMINAL_STEP, type JobRecord } from '../sim/job-model.js';
import { webhookDeliveryFor } from '../webhooks/delivery-policy.js';
import { Notifier } from './notifier.js';
import { compareNewestFirst, isBefore, matchesStatus } from './status-filter.js';
import {
  parseEventId,
  type CancelResult,
  type CreateResult,
  type DeliveryAttempt,
  type DeliveryState,
  type DeliveryWithAttempts,
  type IdempotencyInput,
  type ListQuery,
  type NewEvent,
  type StepEmission,
  type Store,
  type StoreNotice,
  type StoredEvent,
  type UnfinishedPage,
  type WebhookDelivery,
  type WebhookSecretSet,
} from './types.js';

interface IdempotencyEntry {
  fingerprint: string;
  response: StoredEvent['data'];
  createdAt: number;
}

/** A record of its own for the caller (the callback filter array included). */
const copy = (r: JobRecord): JobRecord => ({
  ...r,
  callbackEvents: r.callbackEvents && [...r.callbackEvents],
});

export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  readonly #jobs = new Map<string, JobRecord>();
  readonly #idempotency = new Map<string, IdempotencyEntry>();
  #events: StoredEvent[] = [];
  readonly #notifier = new Notifier();
  readonly #deliveries = new Map<string, DeliveryWithAttempts>();
  readonly #secrets = new Map<string, WebhookSecretSet>();
  #seq = 0;
  #idMs = 0;

  #append(event: NewEvent): StoredEvent {
    this.#seq += 1;
    this.#idMs = Math.max(this.#idMs, Date.now());
    const stored = { ...event, id: `${this.#idMs}-${this.#seq}` };
    this.#events.push(stored);
    return stored;
  }

  async createJob(
    record: JobRecord,
    created: NewEvent,
    idem?: IdempotencyInput,
  ): Promise<CreateResult> {
    const idemKey = idem ? `${record.tenant}\u0000${idem.key}` : undefined;
    if (idemKey !== undefined && idem) {
      const existing = this.#idempotency.get(idemKey);
      if (existing) {
        return existing.fingerprint === idem.fingerprint
          ? { kind: 'replayed', response: existing.response }
          : { kind: 'conflict' };
      }
    }
    if (this.#jobs.has(record.id)) throw new Error(`A job with id ${record.id} exists`);
    this.#jobs.set(record.id, copy(record));
    const event = this.#append(created);
    if (idemKey !== undefined && idem) {
      this.#idempotency.set(idemKey, {
        fingerprint: idem.fingerprint,
        response: created.data,
        createdAt: record.createdAt,
      });
    }
    this.#notifier.publish({ kind: 'event', event });
    return { kind: 'created', record: copy(record), event };
  }

  async getJob(id: string): Promise<JobRecord | null> {
    const rec = this.#jobs.get(id);
    return rec ? copy(rec) : null;
  }

  async getJobs(ids: readonly string[]): Promise<JobRecord[]> {
    const out: JobRecord[] = [];
    for (const id of ids) {
      const rec = this.#jobs.get(id);
      if (rec) out.push(copy(rec));
    }
    return out;
  }

  async listJobs(q: ListQuery): Promise<JobRecord[]> {
    const matches: JobRecord[] = [];
    for (const rec of this.#jobs.values()) {
      if (
        rec.tenant === q.tenant &&
        isBefore(rec, q.before) &&
        matchesStatus(rec, q.status, q.now)
      ) {
        matches.push(rec);
      }
    }
    return matches.sort(compareNewestFirst).slice(0, q.limit).map(copy);
  }

  async cancelJob(
    id: string,
    now: number,
    makeEvent: (r: JobRecord) => NewEvent,
  ): Promise<CancelResult> {
    const rec = this.#jobs.get(id);
    if (!rec) return { kind: 'missing' };
    if (rec.canceledAt !== null) return { kind: 'already-canceled', record: copy(rec) };
    if (now >= rec.finishAt) return { kind: 'finished', record: copy(rec) };
    rec.canceledAt = now;
    rec.emittedStep = TERMINAL_STEP;
    const newEvent = makeEvent(copy(rec));
    const event = this.#append(newEvent);
    this.#queueDelivery(rec, newEvent, TERMINAL_STEP);
    this.#notifier.publish({ kind: 'event', event });
    return { kind: 'canceled', record: copy(rec), event };
  }

  async emitSteps(emissions: readonly StepEmission[]): Promise<StoredEvent[]> {
    const written: StoredEvent[] = [];
    for (const e of emissions) {
      const rec = this.#jobs.get(e.id);
      if (!rec || rec.emittedStep >= e.step) continue;
      rec.emittedStep = e.step;
      written.push(this.#append(e.event));
      this.#queueDelivery(rec, e.event, e.step);
    }
    for (const event of written) this.#notifier.publish({ kind: 'event', event });
    return written;
  }

  async readEvents(
    tenant: string,
    afterId: string | undefined,
    limit: number,
  ): Promise<StoredEvent[]> {
    const afterSeq = afterId === undefined ? 0 : (parseEventId(afterId)?.seq ?? 0);
    const out: StoredEvent[] = [];
    for (const event of this.#events) {
      if (out.length >= limit) break;
      const seq = parseEventId(event.id)?.seq ?? 0;
      if (seq > afterSeq && event.tenant === tenant) out.push(event);
    }
    return out;
  }

  async unfinishedJobs(cursor: string | undefined, limit: number): Promise<UnfinishedPage> {
    const page = [...this.#jobs.values()]
      .filter((r) => r.emittedStep < TERMINAL_STEP && (cursor === undefined || r.id > cursor))
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .slice(0, limit)
      .map(copy);
    return { records: page, cursor: page.length < limit ? undefined : page.at(-1)?.id };
  }

  async purgeExpired(before: number, keepIds: readonly string[]): Promise<number> {
    let deleted = 0;
    for (const [id, rec] of this.#jobs) {
      const endedAt = rec.canceledAt ?? rec.finishAt;
      if (endedAt < before && rec.emittedStep >= TERMINAL_STEP && !keepIds.includes(id)) {
        this.#jobs.delete(id);
        deleted++;
      }
    }
    for (const [key, entry] of this.#idempotency)
      if (entry.createdAt < before) this.#idempotency.delete(key);
    // Not a prefix: an event written late (a step caught up after a restart) carries an old `at`.
    this.#events = this.#events.filter((e) => e.at >= before);
    for (const [id, d] of this.#deliveries)
      if (d.createdAt < before && d.state !== 'pending') this.#deliveries.delete(id);
    return deleted;
  }

  #queueDelivery(rec: JobRecord, event: NewEvent, step: number): void {
    const delivery = webhookDeliveryFor(rec, event, step);
    if (!delivery || this.#deliveries.has(delivery.id)) return;
    this.#deliveries.set(delivery.id, {
      ...delivery,
      state: 'pending',
      attempts: 0,
      nextAttemptAt: delivery.createdAt,
      leaseUntil: null,
      history: [],
    });
  }

  async claimDueDeliveries(
    now: number,
    leaseMs: number,
    limit: number,
  ): Promise<WebhookDelivery[]> {
    const due = [...this.#deliveries.values()]
      .filter(
        (d) =>
          d.state === 'pending' &&
          d.nextAttemptAt !== null &&
          d.nextAttemptAt <= now &&
          (d.leaseUntil === null || d.leaseUntil <= now),
      )
      .sort((a, b) => (a.nextAttemptAt ?? 0) - (b.nextAttemptAt ?? 0))
      .slice(0, limit);
    return due.map((d) => {
      d.leaseUntil = now + leaseMs;
      const { history: _history, ...delivery } = d;
      return { ...delivery };
    });
  }

  async recordAttempt(attempt: DeliveryAttempt, state: DeliveryState): Promise<boolean> {
    const d = this.#deliveries.get(attempt.deliveryId);
    if (!d || d.state !== 'pending' || d.attempts !== attempt.attempt - 1) return false;
    d.history.push({ ...attempt });
    d.attempts = attempt.attempt;
    d.state = state;
    d.nextAttemptAt = attempt.nextAttemptAt;
    d.leaseUntil = null;
    return true;
  }

  async listDeliveries(jobId: string): Promise<DeliveryWithAttempts[]> {
    return [...this.#deliveries.values()]
      .filter((d) => d.jobId === jobId)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((d) => ({ ...d, history: d.history.map((a) => ({ ...a })) }));
  }

  async getWebhookSecrets(tenant: string): Promise<WebhookSecretSet | null> {
    const set = this.#secrets.get(tenant);
    return set ? { ...set } : null;
  }

  async initWebhookSecret(tenant: string, secret: string): Promise<WebhookSecretSet> {
    if (!this.#secrets.has(tenant))
      this.#secrets.set(tenant, { current: secret, previous: null, previousExpiresAt: null });
    return { ...(this.#secrets.get(tenant) as WebhookSecretSet) };
  }

  async rotateWebhookSecret(
    tenant: string,
    secret: string,
    now: number,
    graceMs: number,
  ): Promise<WebhookSecretSet> {
    const old = this.#secrets.get(tenant);
    const set: WebhookSecretSet = old
      ? { current: secret, previous: old.current, previousExpiresAt: now + graceMs }
      : { current: secret, previous: null, previousExpiresAt: null };
    this.#secrets.set(tenant, set);
    return { ...set };
  }

  subscribe(listener: (notice: StoreNotice) => void): () => void {
    return this.#notifier.subscribe(listener);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}
