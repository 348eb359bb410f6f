/**
 * One scheduler per instance: a min-heap of each tracked job's next lifecycle instant and a single
 * timer for the earliest. When a step is due it wakes local waiters at once, then writes the step's
 * event (once across instances: the store compares-and-sets). Rebuilt from the store at boot, so
 * jobs that finished while the server was down still produce their terminal events.
 */
import type { FastifyBaseLogger } from 'fastify';
import { eventForStep } from '../sim/job-events.js';
import { stepAt, stepInstant, TERMINAL_STEP, type JobRecord } from '../sim/job-model.js';
import type { StepEmission, Store } from '../store/types.js';
import type { Clock } from '../clock.js';
import type { Hub } from './hub.js';
import { MinHeap } from './min-heap.js';

interface Entry {
  at: number;
  step: number;
  record: JobRecord;
}

/** Node's setTimeout cannot wait longer than this. */
const MAX_TIMER_MS = 2_147_483_647;
const RETRY_AFTER_STORE_ERROR_MS = 1000;
/**
 * Events due within this window share one store write. Waiters are woken before the write (they
 * derive the state from the clock), so batching costs them nothing; it bounds the synced commits of
 * a burst of finishing jobs, which would otherwise block the event loop once per timer tick.
 */
const EMIT_BATCH_MS = 25;

export class Scheduler {
  readonly #heap = new MinHeap<Entry>();
  /** The live entry per job; heap entries that are no longer here are stale and skipped. */
  readonly #current = new Map<string, Entry>();
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  #running = false;
  #ticking = false;
  /** Emissions waiting for the next batched write, with the record to retry from. */
  #pending: { emission: StepEmission; record: JobRecord }[] = [];
  #flushTimer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #lastFlushAt = -Infinity;
  #unsubscribe: (() => void) | undefined;
  /** Reads of new jobs to try again (the store did not answer). */
  readonly #retries = new Set<NodeJS.Timeout>();

  constructor(
    private readonly store: Store,
    private readonly hub: Hub,
    private readonly clock: Clock,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Loads every job whose terminal event is unwritten and starts watching the store for new ones. */
  async start(): Promise<void> {
    this.#running = true;
    this.#unsubscribe = this.store.subscribe((notice) => {
      const { event } = notice;
      if (event.type === 'job.created' && !this.#current.has(event.jobId)) {
        void this.#trackById(event.jobId);
      } else if (event.type === 'job.canceled') {
        this.#current.delete(event.jobId);
      }
    });
    for (const record of await this.store.unfinishedJobs()) this.track(record);
  }

  /** Stops the timer and writes the events still waiting for a batch. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#unsubscribe?.();
    for (const retry of this.#retries) clearTimeout(retry);
    this.#retries.clear();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    await this.#flushing;
    await this.#flush();
  }

  /** Jobs being watched (for metrics and tests). */
  get size(): number {
    return this.#current.size;
  }

  async #trackById(id: string): Promise<void> {
    try {
      const record = await this.store.getJob(id);
      if (record && !this.#current.has(id)) this.track(record);
    } catch (err) {
      // Read again later: if no instance tracks the job, its events are never written.
      this.log.warn({ err, jobId: id }, 'scheduler could not read a new job; retrying');
      if (!this.#running) return;
      const retry = setTimeout(() => {
        this.#retries.delete(retry);
        void this.#trackById(id);
      }, RETRY_AFTER_STORE_ERROR_MS);
      retry.unref?.();
      this.#retries.add(retry);
    }
  }

  /** Watches a job from its next unwritten step. */
  track(record: JobRecord): void {
    if (!this.#running || record.canceledAt !== null || record.emittedStep >= TERMINAL_STEP) return;
    const now = this.clock.now();
    // Catch up on steps missed while down: the latest due one is written, the ones before skipped.
    const due = stepAt(record, now);
    const step = due > record.emittedStep ? due : record.emittedStep + 1;
    this.#push({ at: due > record.emittedStep ? now : stepInstant(record, step), step, record });
  }

  #push(entry: Entry): void {
    this.#current.set(entry.record.id, entry);
    this.#heap.push(entry);
    if (entry.at < this.#timerAt) this.#arm();
  }

  #arm(): void {
    if (!this.#running || this.#ticking) return;
    let top = this.#heap.peek();
    while (top && this.#current.get(top.record.id) !== top) {
      this.#heap.pop();
      top = this.#heap.peek();
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
    if (!top) return;
    this.#timerAt = top.at;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, top.at - this.clock.now()));
    this.#timer = setTimeout(() => void this.#tick(), delay);
    this.#timer.unref?.();
  }

  #tick(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#ticking = true;
    try {
      const now = this.clock.now();
      for (
        let top = this.#heap.peek();
        // A timer may fire a hair before the clock reaches the instant: then it is armed again
        // for the rest. Announcing a job ended early would contradict a cancel the clock allows.
        top && top.at <= now;
        top = this.#heap.peek()
      ) {
        this.#heap.pop();
        if (this.#current.get(top.record.id) !== top) continue;
        this.#current.delete(top.record.id);
        const step = Math.max(top.step, stepAt(top.record, now));
        this.#pending.push({
          emission: { id: top.record.id, step, event: eventForStep(top.record, step, now) },
          record: top.record,
        });
        this.hub.publish({ jobId: top.record.id, tenant: top.record.tenant, at: now });
        if (step < TERMINAL_STEP) {
          this.#queue({
            at: stepInstant(top.record, step + 1),
            step: step + 1,
            record: top.record,
          });
        }
      }
    } finally {
      this.#ticking = false;
      this.#arm();
    }
    this.#scheduleFlush();
  }

  /** Writes at once after a quiet spell, else at most once per `EMIT_BATCH_MS`. */
  #scheduleFlush(): void {
    if (this.#pending.length === 0 || this.#flushTimer || !this.#running) return;
    const delay = Math.max(0, this.#lastFlushAt + EMIT_BATCH_MS - this.clock.now());
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      this.#flushing = this.#flush().finally(() => {
        this.#flushing = undefined;
        this.#scheduleFlush();
      });
    }, delay);
    this.#flushTimer.unref?.();
  }

  async #flush(): Promise<void> {
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    this.#lastFlushAt = this.clock.now();
    try {
      await this.store.emitSteps(batch.map((d) => d.emission));
    } catch (err) {
      this.log.error({ err }, 'scheduler could not write job events; retrying');
      if (!this.#running) return;
      const retryAt = this.clock.now() + RETRY_AFTER_STORE_ERROR_MS;
      for (const { emission, record } of batch) {
        const live = this.#current.get(record.id);
        // Retry from the failed step unless a later step is already queued for this job.
        if (!live || live.step <= emission.step)
          this.#push({ at: retryAt, step: emission.step, record });
      }
    }
  }

  /** Adds an entry without re-arming (used inside a tick, which re-arms when it ends). */
  #queue(entry: Entry): void {
    this.#current.set(entry.record.id, entry);
    this.#heap.push(entry);
  }
}
