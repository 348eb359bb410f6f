/** The memory store's webhook deliveries, their attempts, and the tenants' signing secrets. */
import type {
  DeliveryAttempt,
  DeliveryState,
  DeliveryWithAttempts,
  NewDelivery,
  WebhookDelivery,
  WebhookSecretSet,
} from './types.js';

export class MemoryWebhooks {
  readonly #deliveries = new Map<string, DeliveryWithAttempts>();
  readonly #secrets = new Map<string, WebhookSecretSet>();

  /** Queues a delivery unless one with its id exists. */
  queue(delivery: NewDelivery | null): void {
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

  /** Deletes settled deliveries created before `before`. */
  purge(before: number): void {
    for (const [id, d] of this.#deliveries)
      if (d.createdAt < before && d.state !== 'pending') this.#deliveries.delete(id);
  }

  claimDueDeliveries(now: number, leaseMs: number, limit: number): WebhookDelivery[] {
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

  recordAttempt(attempt: DeliveryAttempt, state: DeliveryState): boolean {
    const d = this.#deliveries.get(attempt.deliveryId);
    if (!d || d.state !== 'pending' || d.attempts !== attempt.attempt - 1) return false;
    d.history.push({ ...attempt });
    d.attempts = attempt.attempt;
    d.state = state;
    d.nextAttemptAt = attempt.nextAttemptAt;
    d.leaseUntil = null;
    return true;
  }

  listDeliveries(jobId: string): DeliveryWithAttempts[] {
    return [...this.#deliveries.values()]
      .filter((d) => d.jobId === jobId)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((d) => ({ ...d, history: d.history.map((a) => ({ ...a })) }));
  }

  getWebhookSecrets(tenant: string): WebhookSecretSet | null {
    const set = this.#secrets.get(tenant);
    return set ? { ...set } : null;
  }

  initWebhookSecret(tenant: string, secret: string): WebhookSecretSet {
    if (!this.#secrets.has(tenant))
      this.#secrets.set(tenant, { current: secret, previous: null, previousExpiresAt: null });
    return { ...(this.#secrets.get(tenant) as WebhookSecretSet) };
  }

  rotateWebhookSecret(
    tenant: string,
    secret: string,
    now: number,
    graceMs: number,
  ): WebhookSecretSet {
    const old = this.#secrets.get(tenant);
    const set: WebhookSecretSet = old
      ? { current: secret, previous: old.current, previousExpiresAt: now + graceMs }
      : { current: secret, previous: null, previousExpiresAt: null };
    this.#secrets.set(tenant, set);
    return { ...set };
  }
}
