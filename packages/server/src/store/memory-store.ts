/** A store that lives in this process only: for tests and throwaway runs. */
import { TERMINAL_STEP, type JobRecord } from '../sim/job-model.js';
import { Notifier } from './notifier.js';
import { compareNewestFirst, isBefore, matchesStatus } from './status-filter.js';
import {
  parseEventId,
  type CancelResult,
  type CreateResult,
  type IdempotencyInput,
  type ListQuery,
  type NewEvent,
  type StepEmission,
  type Store,
  type StoreNotice,
  type StoredEvent,
} from './types.js';

interface IdempotencyEntry {
  fingerprint: string;
  response: StoredEvent['data'];
  createdAt: number;
}

export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  readonly #jobs = new Map<string, JobRecord>();
  readonly #idempotency = new Map<string, IdempotencyEntry>();
  readonly #events: StoredEvent[] = [];
  readonly #notifier = new Notifier();
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
    this.#jobs.set(record.id, { ...record });
    const event = this.#append(created);
    if (idemKey !== undefined && idem) {
      this.#idempotency.set(idemKey, {
        fingerprint: idem.fingerprint,
        response: created.data,
        createdAt: record.createdAt,
      });
    }
    this.#notifier.publish({ kind: 'event', event });
    return { kind: 'created', record: { ...record }, event };
  }

  async getJob(id: string): Promise<JobRecord | null> {
    const rec = this.#jobs.get(id);
    return rec ? { ...rec } : null;
  }

  async getJobs(ids: readonly string[]): Promise<JobRecord[]> {
    const out: JobRecord[] = [];
    for (const id of ids) {
      const rec = this.#jobs.get(id);
      if (rec) out.push({ ...rec });
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
    return matches
      .sort(compareNewestFirst)
      .slice(0, q.limit)
      .map((r) => ({ ...r }));
  }

  async cancelJob(
    id: string,
    now: number,
    makeEvent: (r: JobRecord) => NewEvent,
  ): Promise<CancelResult> {
    const rec = this.#jobs.get(id);
    if (!rec) return { kind: 'missing' };
    if (rec.canceledAt !== null) return { kind: 'already-canceled', record: { ...rec } };
    if (now >= rec.finishAt) return { kind: 'finished', record: { ...rec } };
    rec.canceledAt = now;
    rec.emittedStep = TERMINAL_STEP;
    const event = this.#append(makeEvent({ ...rec }));
    this.#notifier.publish({ kind: 'event', event });
    return { kind: 'canceled', record: { ...rec }, event };
  }

  async emitSteps(emissions: readonly StepEmission[]): Promise<StoredEvent[]> {
    const written: StoredEvent[] = [];
    for (const e of emissions) {
      const rec = this.#jobs.get(e.id);
      if (!rec || rec.emittedStep >= e.step) continue;
      rec.emittedStep = e.step;
      written.push(this.#append(e.event));
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

  async unfinishedJobs(): Promise<JobRecord[]> {
    return [...this.#jobs.values()]
      .filter((r) => r.emittedStep < TERMINAL_STEP)
      .map((r) => ({ ...r }));
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
    const firstKept = this.#events.findIndex((e) => e.at >= before);
    this.#events.splice(0, firstKept === -1 ? this.#events.length : firstKept);
    return deleted;
  }

  subscribe(listener: (notice: StoreNotice) => void): () => void {
    return this.#notifier.subscribe(listener);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}
