/**
 * Per-minute job counts for `GET /v1/stats`: an in-memory ring fed by the store's notices,
 * bucketed by the instant each change happened (`event.at`), so a job that finished while the
 * server was down lands in the right minute when the scheduler writes its event at boot. Every
 * instance sees every notice (shared stores broadcast them), so instances agree on counts since
 * they started; `startedAt` says from when.
 */
import type { Clock } from './clock.js';
import type { EventType, Store, StoredEvent } from './store/types.js';

/** Width of one bucket. */
export const STATS_BUCKET_MS = 60_000;
/** Minutes of history kept per tenant. */
export const STATS_KEPT_MINUTES = 60;
/** Minutes answered when the request does not say. */
export const STATS_DEFAULT_MINUTES = 15;

const COUNTED: Partial<Record<EventType, keyof Counts>> = {
  'job.created': 'created',
  'job.completed': 'completed',
  'job.failed': 'failed',
  'job.canceled': 'canceled',
};

export interface Counts {
  created: number;
  completed: number;
  failed: number;
  canceled: number;
}

export const zeroCounts = (): Counts => ({ created: 0, completed: 0, failed: 0, canceled: 0 });

/** Per-tenant, per-minute counters over the last `STATS_KEPT_MINUTES` minutes. */
export class StatsRing {
  readonly #tenants = new Map<string, Map<number, Counts>>();
  readonly startedAt: number;

  constructor(now: number) {
    this.startedAt = now;
  }

  record(event: Pick<StoredEvent, 'tenant' | 'type' | 'at'>, now: number): void {
    const field = COUNTED[event.type];
    if (!field) return;
    const minute = Math.floor(event.at / STATS_BUCKET_MS);
    const oldest = Math.floor(now / STATS_BUCKET_MS) - STATS_KEPT_MINUTES + 1;
    if (minute < oldest) return;
    let buckets = this.#tenants.get(event.tenant);
    if (!buckets) this.#tenants.set(event.tenant, (buckets = new Map<number, Counts>()));
    let counts = buckets.get(minute);
    if (!counts) {
      buckets.set(minute, (counts = zeroCounts()));
      for (const key of buckets.keys()) if (key < oldest) buckets.delete(key);
    }
    counts[field] += 1;
  }

  /** The last `minutes` minute buckets for a tenant, oldest first, the current minute last. */
  read(tenant: string, minutes: number, now: number): { startMs: number; counts: Counts }[] {
    const current = Math.floor(now / STATS_BUCKET_MS);
    const buckets = this.#tenants.get(tenant);
    const out: { startMs: number; counts: Counts }[] = [];
    for (let m = current - minutes + 1; m <= current; m++) {
      out.push({ startMs: m * STATS_BUCKET_MS, counts: { ...(buckets?.get(m) ?? zeroCounts()) } });
    }
    return out;
  }
}

/** A ring that counts every event the store writes from now on (built with the context). */
export function watchStats(store: Pick<Store, 'subscribe'>, clock: Clock): StatsRing {
  const ring = new StatsRing(clock.now());
  store.subscribe((notice) => ring.record(notice.event, clock.now()));
  return ring;
}
