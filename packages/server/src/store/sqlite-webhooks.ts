/**
 * Webhook deliveries, their attempts and the tenants' signing secrets in the SQLite file. The
 * store queues a delivery inside the transaction that writes its event (`queue`); the rest are
 * the store's webhook methods, each one transaction.
 */
import type Database from 'better-sqlite3';
import { withRelaxedSync } from './sqlite-schema.js';
import type {
  DeliveryAttempt,
  DeliveryState,
  DeliveryWithAttempts,
  EventType,
  NewDelivery,
  WebhookDelivery,
  WebhookSecretSet,
} from './types.js';

interface DeliveryRow {
  id: string;
  tenant: string;
  job_id: string;
  event_type: string;
  url: string;
  body: string;
  created_at: number;
  state: string;
  attempts: number;
  next_attempt_at: number | null;
  lease_until: number | null;
}

interface AttemptRow {
  delivery_id: string;
  attempt: number;
  at: number;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  next_attempt_at: number | null;
}

interface SecretRow {
  current: string;
  previous: string | null;
  previous_expires_at: number | null;
}

const fromDeliveryRow = (r: DeliveryRow): WebhookDelivery => ({
  id: r.id,
  tenant: r.tenant,
  jobId: r.job_id,
  eventType: r.event_type as EventType,
  url: r.url,
  body: r.body,
  createdAt: r.created_at,
  state: r.state as DeliveryState,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  leaseUntil: r.lease_until,
});

const fromAttemptRow = (r: AttemptRow): DeliveryAttempt => ({
  deliveryId: r.delivery_id,
  attempt: r.attempt,
  at: r.at,
  durationMs: r.duration_ms,
  statusCode: r.status_code,
  error: r.error,
  nextAttemptAt: r.next_attempt_at,
});

const fromSecretRow = (r: SecretRow): WebhookSecretSet => ({
  current: r.current,
  previous: r.previous,
  previousExpiresAt: r.previous_expires_at,
});

export class SqliteWebhooks {
  readonly #db: Database.Database;
  readonly #stmts;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#stmts = {
      insertDelivery: db.prepare(`INSERT OR IGNORE INTO webhook_deliveries
        (id, tenant, job_id, event_type, url, body, created_at, state, attempts, next_attempt_at)
        VALUES (@id, @tenant, @jobId, @eventType, @url, @body, @createdAt, 'pending', 0, @createdAt)`),
      dueDeliveries: db.prepare(`SELECT * FROM webhook_deliveries WHERE state = 'pending'
        AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until <= @now)
        ORDER BY next_attempt_at LIMIT @limit`),
      lease: db.prepare('UPDATE webhook_deliveries SET lease_until = ? WHERE id = ?'),
      advanceDelivery: db.prepare(`UPDATE webhook_deliveries
        SET attempts = @attempt, state = @state, next_attempt_at = @nextAttemptAt, lease_until = NULL
        WHERE id = @deliveryId AND state = 'pending' AND attempts = @attempt - 1`),
      insertAttempt: db.prepare(`INSERT INTO webhook_attempts VALUES
        (@deliveryId, @attempt, @at, @durationMs, @statusCode, @error, @nextAttemptAt)`),
      deliveriesOfJob: db.prepare(
        'SELECT * FROM webhook_deliveries WHERE job_id = ? ORDER BY created_at, id',
      ),
      attemptsOfJob: db.prepare(`SELECT a.* FROM webhook_attempts a
        JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.job_id = ? ORDER BY a.attempt`),
      purgeAttempts: db.prepare(`DELETE FROM webhook_attempts WHERE delivery_id IN
        (SELECT id FROM webhook_deliveries WHERE created_at < ? AND state != 'pending')`),
      purgeDeliveries: db.prepare(
        "DELETE FROM webhook_deliveries WHERE created_at < ? AND state != 'pending'",
      ),
      getSecrets: db.prepare(
        'SELECT current, previous, previous_expires_at FROM webhook_secrets WHERE tenant = ?',
      ),
      initSecret: db.prepare(
        'INSERT OR IGNORE INTO webhook_secrets (tenant, current) VALUES (?, ?)',
      ),
      putSecrets: db.prepare(`INSERT OR REPLACE INTO webhook_secrets
        (tenant, current, previous, previous_expires_at) VALUES (?, ?, ?, ?)`),
    };
  }

  /** Queues a delivery unless one with its id exists; call inside the event's transaction. */
  queue(delivery: NewDelivery | null): void {
    if (delivery) this.#stmts.insertDelivery.run(delivery);
  }

  /** Deletes settled deliveries (and their attempts) created before `before`; inside a transaction. */
  purge(before: number): void {
    this.#stmts.purgeAttempts.run(before);
    this.#stmts.purgeDeliveries.run(before);
  }

  /** Leases lost to a power cut expire; the delivery is claimed again (at least once). */
  claimDueDeliveries(now: number, leaseMs: number, limit: number): WebhookDelivery[] {
    return withRelaxedSync(this.#db, () =>
      this.#db
        .transaction(() => {
          const rows = this.#stmts.dueDeliveries.all({ now, limit }) as DeliveryRow[];
          for (const row of rows) this.#stmts.lease.run(now + leaseMs, row.id);
          return rows.map((row) => ({ ...fromDeliveryRow(row), leaseUntil: now + leaseMs }));
        })
        .immediate(),
    );
  }

  /** An attempt lost to a power cut is made again (at least once). */
  recordAttempt(attempt: DeliveryAttempt, state: DeliveryState): boolean {
    return withRelaxedSync(this.#db, () =>
      this.#db
        .transaction(() => {
          if (this.#stmts.advanceDelivery.run({ ...attempt, state }).changes !== 1) return false;
          this.#stmts.insertAttempt.run(attempt);
          return true;
        })
        .immediate(),
    );
  }

  listDeliveries(jobId: string): DeliveryWithAttempts[] {
    const attempts = (this.#stmts.attemptsOfJob.all(jobId) as AttemptRow[]).map(fromAttemptRow);
    return (this.#stmts.deliveriesOfJob.all(jobId) as DeliveryRow[]).map((row) => ({
      ...fromDeliveryRow(row),
      history: attempts.filter((a) => a.deliveryId === row.id),
    }));
  }

  getWebhookSecrets(tenant: string): WebhookSecretSet | null {
    const row = this.#stmts.getSecrets.get(tenant) as SecretRow | undefined;
    return row ? fromSecretRow(row) : null;
  }

  initWebhookSecret(tenant: string, secret: string): WebhookSecretSet {
    this.#stmts.initSecret.run(tenant, secret);
    return fromSecretRow(this.#stmts.getSecrets.get(tenant) as SecretRow);
  }

  rotateWebhookSecret(
    tenant: string,
    secret: string,
    now: number,
    graceMs: number,
  ): WebhookSecretSet {
    return this.#db
      .transaction(() => {
        const old = this.#stmts.getSecrets.get(tenant) as SecretRow | undefined;
        const set: WebhookSecretSet = old
          ? { current: secret, previous: old.current, previousExpiresAt: now + graceMs }
          : { current: secret, previous: null, previousExpiresAt: null };
        this.#stmts.putSecrets.run(tenant, set.current, set.previous, set.previousExpiresAt);
        return set;
      })
      .immediate();
  }
}
