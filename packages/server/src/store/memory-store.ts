/**
 * A store that lives in this process only: for tests and throwaway runs. Bounded: past `maxJobs`
 * (`VT_MEMORY_MAX_JOBS`) a new job makes room by evicting the job that finished longest ago, and
 * when every job is still pending it is refused (503 `store_full`). Lists walk per-tenant indexes
 * (`memory-index.ts`); events keep no copy of the job (`memory-events.ts`).
 */
import { eventData } from '../sim/job-events.js';
import { TERMINAL_STEP, type JobRecord } from '../sim/job-model.js';
import { MinHeap } from '../wait/min-heap.js';
import { webhookDeliveryFor } from '../webhooks/delivery-policy.js';
import { MemoryEventLog } from './memory-events.js';
import { DEFAULT_MEMORY_MAX_JOBS } from './memory-limits.js';
import { TenantIndexes, type Group } from './memory-index.js';
import { MemoryWebhooks } from './memory-webhooks.js';
import { Notifier } from './notifier.js';
import { compareNewestFirst, isBefore } from './status-filter.js';
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

/** A record in a heap, by an instant (its finish for unfinished jobs, its end for ended ones). */
class Timed {
  constructor(
    readonly at: number,
    readonly record: JobRecord,
  ) {}
}

/** Beyond this many unfinished jobs past their finish instant, list them in the tenant's order. */
const SMALL_BACKLOG = 500;
/** Jobs deleted between two turns of the event loop in a sweep. */
const SWEEP_BATCH = 2000;

/** A record of its own, built field by field (one shape for every stored record). */
const copy = (r: JobRecord): JobRecord => ({
  id: r.id,
  tenant: r.tenant,
  sourceUrl: r.sourceUrl,
  targetLanguage: r.targetLanguage,
  callbackUrl: r.callbackUrl,
  callbackEvents: r.callbackEvents && [...r.callbackEvents],
  createdAt: r.createdAt,
  etaAt: r.etaAt,
  finishAt: r.finishAt,
  outcome: r.outcome,
  errorCode: r.errorCode,
  errorMessage: r.errorMessage,
  canceledAt: r.canceledAt,
  emittedStep: r.emittedStep,
});

const groupOf = (r: JobRecord): Group =>
  r.canceledAt !== null ? 'canceled' : r.emittedStep >= TERMINAL_STEP ? r.outcome : 'unfinished';

const yieldToEventLoop = () => new Promise((resolve) => setImmediate(resolve));

export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  readonly #maxJobs: number;
  readonly #keep: ReadonlySet<string>;
  readonly #jobs = new Map<string, JobRecord>();
  readonly #tenants = new Map<string, TenantIndexes>();
  /** Unfinished jobs by finish instant, and ended ones by end (stale entries skipped). */
  readonly #unfinished = new MinHeap<Timed>();
  readonly #ended = new MinHeap<Timed>();
  readonly #idempotency = new Map<string, IdempotencyEntry>();
  readonly #events = new MemoryEventLog((id) => this.#jobs.get(id));
  readonly #notifier = new Notifier();
  readonly #webhooks = new MemoryWebhooks();
  /** Where `unfinishedJobs` goes on: a live iterator over the jobs. */
  #scan: { token: number; jobs: Iterator<JobRecord> } | undefined;

  constructor(options: MemoryStoreOptions = {}) {
    this.#maxJobs = options.maxJobs ?? DEFAULT_MEMORY_MAX_JOBS;
    this.#keep = new Set(options.keepIds ?? []);
  }

  readonly #isStored = (r: JobRecord) => this.#jobs.get(r.id) === r;

  #indexes(tenant: string): TenantIndexes {
    let indexes = this.#tenants.get(tenant);
    if (!indexes) this.#tenants.set(tenant, (indexes = new TenantIndexes(this.#isStored, groupOf)));
    return indexes;
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
    if (this.#jobs.has(record.id)) throw new Error(`A job with id ${record.id} exists`);
    if (this.#jobs.size >= this.#maxJobs) this.#evictOne();
    const rec = copy(record);
    this.#jobs.set(rec.id, rec);
    const indexes = this.#indexes(rec.tenant);
    indexes.all.add(rec);
    indexes.groups[groupOf(rec)].add(rec);
    if (groupOf(rec) === 'unfinished') this.#unfinished.push(new Timed(rec.finishAt, rec));
    else this.#ended.push(new Timed(rec.canceledAt ?? rec.finishAt, rec));
    const event = this.#events.append(created, rec);
    if (idem && idemKey !== undefined)
      this.#idempotency.set(idemKey, {
        fingerprint: idem.fingerprint,
        jobId: rec.id,
        createdAt: rec.createdAt,
      });
    this.#notifier.publish({ kind: 'event', event });
    return { kind: 'created', record: copy(rec), event };
  }

  /** Makes room for one job: the one that ended longest ago goes. */
  #evictOne(): void {
    const kept: Timed[] = [];
    try {
      for (let top = this.#ended.pop(); top; top = this.#ended.pop()) {
        const rec = top.record;
        if (!this.#isStored(rec) || groupOf(rec) === 'unfinished') continue;
        if (this.#keep.has(rec.id)) {
          kept.push(top);
          continue;
        }
        this.#delete(rec);
        return;
      }
    } finally {
      for (const t of kept) this.#ended.push(t);
    }
    throw new StoreFullError(
      `The memory store holds its limit of ${this.#maxJobs} jobs (VT_MEMORY_MAX_JOBS) and none has finished; retry once some have`,
    );
  }

  #delete(rec: JobRecord): void {
    const indexes = this.#indexes(rec.tenant);
    const group = groupOf(rec);
    this.#jobs.delete(rec.id);
    indexes.all.left();
    indexes.groups[group].left();
    this.#events.jobGone(rec.emittedStep + 1);
  }

  async getJob(id: string): Promise<JobRecord | null> {
    const rec = this.#jobs.get(id);
    return rec ? copy(rec) : null;
  }

  async getJobs(ids: readonly string[]): Promise<JobRecord[]> {
    const out: JobRecord[] = [];
    for (const id of new Set(ids)) {
      const rec = this.#jobs.get(id);
      if (rec) out.push(copy(rec));
    }
    return out;
  }

  async listJobs(q: ListQuery): Promise<JobRecord[]> {
    const indexes = this.#tenants.get(q.tenant);
    if (!indexes) return [];
    const take = (records: Iterable<JobRecord>, keep: (r: JobRecord) => boolean = () => true) => {
      const out: JobRecord[] = [];
      if (q.limit <= 0) return out;
      for (const r of records) if (keep(r) && out.push(r) >= q.limit) break;
      return out;
    };
    let page: JobRecord[];
    switch (q.status) {
      case undefined:
        page = take(indexes.all.newestFirst(q.before));
        break;
      case 'canceled':
        page = take(indexes.groups.canceled.newestFirst(q.before));
        break;
      case 'pending':
        page = take(indexes.groups.unfinished.newestFirst(q.before), (r) => r.finishAt > q.now);
        break;
      case 'completed':
      case 'error': {
        const outcome = q.status;
        const ended = take(indexes.groups[outcome].newestFirst(q.before));
        const overdue = this.#overdue(q, outcome, indexes);
        page = overdue.length
          ? [...ended, ...overdue].sort(compareNewestFirst).slice(0, q.limit)
          : ended;
      }
    }
    return page.map(copy);
  }

  readonly #stillUnfinished = (t: Timed) =>
    this.#isStored(t.record) && groupOf(t.record) === 'unfinished';

  /** Drops heap entries of jobs no longer unfinished from the top (where they gather). */
  #pruneUnfinished(): void {
    for (
      let top = this.#unfinished.peek();
      top && !this.#stillUnfinished(top);
      top = this.#unfinished.peek()
    )
      this.#unfinished.pop();
  }

  /** Unfinished jobs of the query's tenant past their finish instant, with this outcome. */
  #overdue(q: ListQuery, outcome: 'completed' | 'error', indexes: TenantIndexes): JobRecord[] {
    const stillUnfinished = this.#stillUnfinished;
    this.#pruneUnfinished();
    const matches = (r: JobRecord) =>
      r.tenant === q.tenant &&
      r.outcome === outcome &&
      r.finishAt <= q.now &&
      isBefore(r, q.before);
    const found: JobRecord[] = [];
    let seen = 0;
    this.#unfinished.visitUpTo(q.now, (t) => {
      if (stillUnfinished(t) && matches(t.record)) found.push(t.record);
      return ++seen <= SMALL_BACKLOG;
    });
    if (seen > SMALL_BACKLOG) {
      // Catching up: most unfinished jobs are overdue, so the tenant's order finds them fast.
      const out: JobRecord[] = [];
      for (const r of indexes.groups.unfinished.newestFirst(q.before))
        if (matches(r) && out.push(r) >= q.limit) break;
      return out;
    }
    return found.sort(compareNewestFirst).slice(0, q.limit);
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
    const indexes = this.#indexes(rec.tenant);
    indexes.groups[groupOf(rec)].left();
    rec.canceledAt = now;
    rec.emittedStep = TERMINAL_STEP;
    indexes.groups.canceled.add(rec);
    this.#ended.push(new Timed(now, rec));
    this.#pruneUnfinished();
    const newEvent = makeEvent(copy(rec));
    const event = this.#events.append(newEvent, rec);
    this.#webhooks.queue(webhookDeliveryFor(rec, newEvent, TERMINAL_STEP));
    this.#notifier.publish({ kind: 'event', event });
    return { kind: 'canceled', record: copy(rec), event };
  }

  async emitSteps(emissions: readonly StepEmission[]): Promise<StoredEvent[]> {
    const written: StoredEvent[] = [];
    for (const e of emissions) {
      const rec = this.#jobs.get(e.id);
      if (!rec || rec.emittedStep >= e.step) continue;
      rec.emittedStep = e.step;
      if (e.step >= TERMINAL_STEP) {
        const indexes = this.#indexes(rec.tenant);
        indexes.groups.unfinished.left();
        indexes.groups[rec.outcome].add(rec);
        this.#ended.push(new Timed(rec.finishAt, rec));
      }
      written.push(this.#events.append(e.event, rec));
      this.#webhooks.queue(webhookDeliveryFor(rec, e.event, e.step));
    }
    this.#pruneUnfinished();
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
      this.#scan = { token: (this.#scan?.token ?? 0) + 1, jobs: this.#jobs.values() };
    const scan = this.#scan;
    const records: JobRecord[] = [];
    // Look at a bounded number of jobs per page, so a page never takes long.
    for (let looked = 0; records.length < limit && looked < limit * 10; looked++) {
      const next = scan.jobs.next();
      if (next.done) {
        this.#scan = undefined;
        return { records, cursor: undefined };
      }
      if (groupOf(next.value) === 'unfinished') records.push(copy(next.value));
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
    const kept: Timed[] = [];
    let deleted = 0;
    for (let top = this.#ended.peek(); top && top.at < before; top = this.#ended.peek()) {
      this.#ended.pop();
      const rec = top.record;
      if (!this.#isStored(rec) || groupOf(rec) === 'unfinished') continue;
      if (keep.has(rec.id)) {
        kept.push(top);
        continue;
      }
      this.#delete(rec);
      if (++deleted % SWEEP_BATCH === 0) await yieldToEventLoop();
    }
    for (const t of kept) this.#ended.push(t);
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
