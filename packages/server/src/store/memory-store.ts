/**
 * A store that lives in this process only: for tests and throwaway runs. Bounded: past `maxJobs`
 * (`VT_MEMORY_MAX_JOBS`) a new job makes room by evicting the job that finished longest ago, and
 * when every job is still pending it is refused (503 `store_full`). Lists walk per-tenant indexes
 * (`memory-index.ts`); events keep no copy of the job (`memory-events.ts`).
 */
import { ShardedMap } from '../collections/sharded-map.js';
import { eventData } from '../sim/job-events.js';
import { copyRecord, TERMINAL_STEP, type JobRecord } from '../sim/job-model.js';
import { webhookDeliveryFor } from '../webhooks/delivery-policy.js';
import { MemoryEventLog } from './memory-events.js';
import { MemoryJobs } from './memory-jobs.js';
import { DEFAULT_MEMORY_MAX_JOBS } from './memory-limits.js';
import { yieldToEventLoop } from '../adaptive-batch.js';
import { MemoryWebhooks } from './memory-webhooks.js';
import { Notifier } from './notifier.js';
import {
  parseEventId,
  StoreFullError,
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
  type UnfinishedJob,
  type UnfinishedPage,
  type WebhookDelivery,
  type WebhookSecretSet,
} from './types.js';

export { DEFAULT_MEMORY_MAX_JOBS };

export interface MemoryStoreOptions {
  /** Jobs kept at most. @default DEFAULT_MEMORY_MAX_JOBS */
  maxJobs?: number;
  /** Jobs never evicted to make room (the server's default job). */
  keepIds?: readonly string[];
}

interface IdempotencyEntry {
  fingerprint: string;
  jobId: string;
  createdAt: number;
}

/** Jobs deleted between two turns of the event loop in a sweep. */
const SWEEP_BATCH = 2000;

export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  readonly #maxJobs: number;
  readonly #keep: ReadonlySet<string>;
  readonly #jobs = new MemoryJobs();
  readonly #idempotency = new ShardedMap<IdempotencyEntry>();
  readonly #events = new MemoryEventLog((id) => this.#jobs.get(id));
  readonly #notifier = new Notifier();
  readonly #webhooks = new MemoryWebhooks();
  /** Where `unfinishedJobs` goes on: a live walk over the unfinished jobs, oldest first. */
  #scan: { token: number; jobs: Iterator<JobRecord> } | undefined;

  constructor(options: MemoryStoreOptions = {}) {
    this.#maxJobs = options.maxJobs ?? DEFAULT_MEMORY_MAX_JOBS;
    this.#keep = new Set(options.keepIds ?? []);
  }

  async createJob(
    record: JobRecord,
    created: NewEvent,
    idem?: IdempotencyInput,
  ): Promise<CreateResult> {
    const idemKey = idem ? `${record.tenant}\u0000${idem.key}` : undefined;
    const existing = idemKey === undefined ? undefined : this.#idempotency.get(idemKey);
    if (existing && idem && idemKey !== undefined) {
      if (existing.fingerprint !== idem.fingerprint) return { kind: 'conflict' };
      const job = this.#jobs.get(existing.jobId);
      if (job) return { kind: 'replayed', response: eventData(job, 'job.created', job.createdAt) };
      this.#idempotency.delete(idemKey); // its job was evicted: the key is free again
    }
    if (this.#jobs.get(record.id)) throw new Error(`A job with id ${record.id} exists`);
    if (this.#jobs.size >= this.#maxJobs) this.#evictOne();
    const rec = copyRecord(record);
    this.#jobs.add(rec);
    const event = this.#events.append(created, rec);
    this.#events.sweepSome();
    if (idem && idemKey !== undefined)
      this.#idempotency.set(idemKey, {
        fingerprint: idem.fingerprint,
        jobId: rec.id,
        createdAt: rec.createdAt,
      });
    this.#notifier.publish({ kind: 'event', event });
    return { kind: 'created', record: copyRecord(rec), event };
  }

  /** Makes room for one job: the one that ended longest ago goes. */
  #evictOne(): void {
    const oldest = this.#jobs.nextEnded(Infinity, this.#keep);
    if (!oldest) {
      throw new StoreFullError(
        `The memory store holds its limit of ${this.#maxJobs} jobs (VT_MEMORY_MAX_JOBS) and none has finished; retry once some have`,
      );
    }
    this.#delete(oldest);
  }

  #delete(rec: JobRecord): void {
    this.#jobs.delete(rec);
    this.#events.jobGone(rec.emittedStep + 1);
  }

  async getJob(id: string): Promise<JobRecord | null> {
    const rec = this.#jobs.get(id);
    return rec ? copyRecord(rec) : null;
  }

  async getJobs(ids: readonly string[]): Promise<JobRecord[]> {
    const out: JobRecord[] = [];
    for (const id of new Set(ids)) {
      const rec = this.#jobs.get(id);
      if (rec) out.push(copyRecord(rec));
    }
    return out;
  }

  async listJobs(q: ListQuery): Promise<JobRecord[]> {
    return this.#jobs.list(q).map(copyRecord);
  }

  async cancelJob(
    id: string,
    now: number,
    makeEvent: (r: JobRecord) => NewEvent,
  ): Promise<CancelResult> {
    const rec = this.#jobs.get(id);
    if (!rec) return { kind: 'missing' };
    if (rec.canceledAt !== null) return { kind: 'already-canceled', record: copyRecord(rec) };
    if (now >= rec.finishAt) return { kind: 'finished', record: copyRecord(rec) };
    this.#jobs.change(rec, (r) => {
      r.canceledAt = now;
      r.emittedStep = TERMINAL_STEP;
    });
    const newEvent = makeEvent(copyRecord(rec));
    const event = this.#events.append(newEvent, rec);
    this.#events.sweepSome();
    this.#webhooks.queue(webhookDeliveryFor(rec, newEvent, TERMINAL_STEP));
    this.#notifier.publish({ kind: 'event', event });
    return { kind: 'canceled', record: copyRecord(rec), event };
  }

  async emitSteps(emissions: readonly StepEmission[]): Promise<StoredEvent[]> {
    const written: StoredEvent[] = [];
    for (const e of emissions) {
      const rec = this.#jobs.get(e.id);
      if (!rec || rec.emittedStep >= e.step) continue;
      this.#jobs.change(rec, (r) => {
        r.emittedStep = e.step;
      });
      written.push(this.#events.append(e.event, rec));
      this.#webhooks.queue(webhookDeliveryFor(rec, e.event, e.step));
    }
    // However many events: the log sweeps a couple of chunks per write.
    this.#events.sweepSome();
    for (const event of written) this.#notifier.publish({ kind: 'event', event });
    return written;
  }

  async readEvents(
    tenant: string,
    afterId: string | undefined,
    limit: number,
  ): Promise<StoredEvent[]> {
    const afterSeq = afterId === undefined ? 0 : (parseEventId(afterId)?.seq ?? 0);
    return this.#events.read(tenant, afterSeq, limit);
  }

  async unfinishedJobs(cursor: string | undefined, limit: number): Promise<UnfinishedPage> {
    const token = Number(cursor);
    if (cursor === undefined || this.#scan?.token !== token)
      this.#scan = {
        token: (this.#scan?.token ?? 0) + 1,
        jobs: this.#jobs.unfinishedOldestFirst(),
      };
    const scan = this.#scan;
    const records: UnfinishedJob[] = [];
    while (records.length < limit) {
      const next = scan.jobs.next();
      if (next.done) {
        this.#scan = undefined;
        return { records, cursor: undefined };
      }
      // The walk yields only jobs still in their tenant's unfinished index.
      const r = next.value;
      records.push({
        id: r.id,
        tenant: r.tenant,
        createdAt: r.createdAt,
        finishAt: r.finishAt,
        canceledAt: r.canceledAt,
        emittedStep: r.emittedStep,
      });
    }
    return { records, cursor: String(scan.token) };
  }

  async purgeExpired(before: number, keepIds: readonly string[]): Promise<number> {
    let seen = 0;
    for (const [key, entry] of this.#idempotency) {
      if (entry.createdAt < before) this.#idempotency.delete(key);
      if (++seen % SWEEP_BATCH === 0) await yieldToEventLoop();
    }
    this.#events.purge(before);
    const keep = new Set(keepIds);
    let deleted = 0;
    for (
      let rec = this.#jobs.nextEnded(before, keep);
      rec;
      rec = this.#jobs.nextEnded(before, keep)
    ) {
      this.#delete(rec);
      if (++deleted % SWEEP_BATCH === 0) {
        this.#events.sweepSome();
        await yieldToEventLoop();
      }
    }
    this.#events.sweepSome();
    this.#webhooks.purge(before);
    return deleted;
  }

  async claimDueDeliveries(
    now: number,
    leaseMs: number,
    limit: number,
  ): Promise<WebhookDelivery[]> {
    return this.#webhooks.claimDueDeliveries(now, leaseMs, limit);
  }

  async recordAttempt(attempt: DeliveryAttempt, state: DeliveryState): Promise<boolean> {
    return this.#webhooks.recordAttempt(attempt, state);
  }

  async listDeliveries(jobId: string): Promise<DeliveryWithAttempts[]> {
    return this.#webhooks.listDeliveries(jobId);
  }

  async getWebhookSecrets(tenant: string): Promise<WebhookSecretSet | null> {
    return this.#webhooks.getWebhookSecrets(tenant);
  }

  async initWebhookSecret(tenant: string, secret: string): Promise<WebhookSecretSet> {
    return this.#webhooks.initWebhookSecret(tenant, secret);
  }

  async rotateWebhookSecret(
    tenant: string,
    secret: string,
    now: number,
    graceMs: number,
  ): Promise<WebhookSecretSet> {
    return this.#webhooks.rotateWebhookSecret(tenant, secret, now, graceMs);
  }

  subscribe(listener: (notice: StoreNotice) => void): () => void {
    return this.#notifier.subscribe(listener);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}
