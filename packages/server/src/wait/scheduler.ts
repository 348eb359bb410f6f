/**
 * One scheduler per instance: a min-heap of each tracked job's next lifecycle instant and a single
 * timer for the earliest. When a step is due it wakes local waiters at once, then queues the step's
 * event for the step writer (written once across instances: the store compares-and-sets).
 *
 * At boot it reads the store's unfinished jobs a page at a time in the background, so the server
 * listens at once. Steps missed while the server was down (a job that finished meanwhile) go to a
 * catch-up queue written in bounded batches; `caughtUp` turns true once every unfinished job is
 * loaded and every missed step written — until then readiness says so. A tracked job costs a slot
 * in flat arrays (`tracked-jobs.ts`) and its id string, not a copy of its record.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.js';
import { stepAt, stepInstant, TERMINAL_STEP } from '../sim/job-model.js';
import { ChunkedQueue } from '../collections/chunked-queue.js';
import { AdaptiveBatch, yieldToEventLoop } from '../adaptive-batch.js';
import type { Store, UnfinishedJob } from '../store/types.js';
import type { Hub } from './hub.js';
import { StepWriter, WRITE_BATCH, type DueStep } from './step-writer.js';
import { TrackedJobs } from './tracked-jobs.js';

/** Node's setTimeout cannot wait longer than this. */
const MAX_TIMER_MS = 2_147_483_647;
const RETRY_AFTER_STORE_ERROR_MS = 1000;
/**
 * Unfinished jobs read from the store at a time at boot: as many as take about 1 ms to read and
 * track, so a request arriving meanwhile waits about that long. (Aimed at 2 ms, pages ran 1–4 ms,
 * and list queries asked during a 1M-job load had a p99 of 9–12 ms; at 1 ms, 7–8 ms, and the load
 * took no longer.)
 */
const UNFINISHED_PAGE = { min: 50, max: 1000, targetMs: 1 };
/** Due entries handled per timer turn; more wait for the next turn, after other work. */
const TICK_BATCH = 2000;

export class Scheduler {
  /** Each tracked job's next step, earliest first. */
  readonly #tracked = new TrackedJobs();
  /** One copy of each tenant name, however many entries name it. */
  readonly #tenants = new Map<string, string>();
  readonly #writer: StepWriter;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  #running = false;
  #ticking = false;
  #loaded = false;
  /** Every job due when loading began is loaded (all of them, or all the store's pages said so). */
  #dueLoaded = false;
  #loading: Promise<void> | undefined;
  #feeding = false;
  /** The writer's mark once the last missed step was handed to it; then `caughtUp` latches. */
  #caughtUpMark: number | undefined;
  #caughtUp = false;
  /** Steps missed while the server was down, waiting to be handed to the writer. */
  readonly #catchUp = new ChunkedQueue<DueStep>();
  #unsubscribe: (() => void) | undefined;
  /** Reads of new jobs to try again (the store did not answer). */
  readonly #retries = new Set<NodeJS.Timeout>();

  constructor(
    private readonly store: Store,
    private readonly hub: Hub,
    private readonly clock: Clock,
    private readonly log: FastifyBaseLogger,
  ) {
    this.#writer = new StepWriter(store, clock, log, (failed) => this.#retry(failed));
  }

  /** Starts watching the store for new jobs and loads the unfinished ones in the background. */
  async start(): Promise<void> {
    this.#running = true;
    this.#unsubscribe = this.store.subscribe((notice) => {
      const { event } = notice;
      if (event.type === 'job.created' && !this.#tracked.has(event.jobId)) {
        void this.#trackById(event.jobId);
      } else if (event.type === 'job.canceled') {
        // A timer armed for it finds nothing due and arms itself for the next.
        this.#tracked.delete(event.jobId);
      }
    });
    this.#loading = this.#load();
  }

  /**
   * True once every job that finished while the server was down has its terminal event written
   * (with every other step found missed by then). Jobs that finish later may still be loading.
   */
  get caughtUp(): boolean {
    if (!this.#caughtUp && this.#caughtUpMark !== undefined)
      this.#caughtUp = this.#writer.hasSettled(this.#caughtUpMark);
    return this.#caughtUp;
  }

  /** Stops the timer and writes the events still queued. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#unsubscribe?.();
    for (const retry of this.#retries) clearTimeout(retry);
    this.#retries.clear();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
    await this.#loading;
    await this.#writer.stop();
  }

  /** True once every unfinished job in the store has been read (for tests and benchmarks). */
  get loaded(): boolean {
    return this.#loaded;
  }

  /** Jobs being watched (for metrics and tests). */
  get size(): number {
    return this.#tracked.size;
  }

  async #load(): Promise<void> {
    let cursor: string | undefined;
    const startedAt = this.clock.now();
    try {
      const { min, max, targetMs } = UNFINISHED_PAGE;
      const size = new AdaptiveBatch(min, max, targetMs, 200);
      do {
        const started = performance.now();
        const n = size.size;
        const page = await this.store.unfinishedJobs(cursor, n);
        for (const record of page.records) this.track(record);
        size.took(n, performance.now() - started);
        cursor = page.cursor;
        // Every job that finished while down is loaded: catching up needs no more pages.
        if (page.finishedThrough !== undefined && page.finishedThrough >= startedAt)
          this.#dueLoaded = true;
        this.#feedCatchUp();
        // Let requests and timers run between pages.
        await yieldToEventLoop();
      } while (cursor !== undefined && this.#running);
      this.#loaded = true;
      this.#dueLoaded = true;
      this.#feedCatchUp();
    } catch (err) {
      if (!this.#running) return;
      this.log.error({ err }, 'scheduler could not load unfinished jobs; retrying');
      await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_STORE_ERROR_MS).unref());
      if (this.#running) return this.#load();
    }
  }

  /** Hands missed steps to the writer a batch at a time, as it drains. */
  #feedCatchUp(): void {
    if (this.#feeding || !this.#running) return;
    if (this.#catchUp.length === 0) {
      if (this.#dueLoaded) this.#caughtUpMark ??= this.#writer.mark();
      return;
    }
    this.#feeding = true;
    if (this.#writer.backlog <= WRITE_BATCH)
      for (const step of this.#catchUp.take(WRITE_BATCH)) this.#writer.add(step);
    // Again once the writer has had a turn (a write takes a while: check back shortly).
    setTimeout(() => {
      this.#feeding = false;
      this.#feedCatchUp();
    }, 1).unref();
  }

  async #trackById(id: string): Promise<void> {
    try {
      const record = await this.store.getJob(id);
      if (record && !this.#tracked.has(id)) this.track(record);
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
  track(record: UnfinishedJob): void {
    if (!this.#running || record.canceledAt !== null || record.emittedStep >= TERMINAL_STEP) return;
    const now = this.clock.now();
    let tenant = this.#tenants.get(record.tenant);
    if (tenant === undefined) this.#tenants.set(record.tenant, (tenant = record.tenant));
    // Catch up on steps missed while down: the latest due one is written, the ones before skipped.
    const due = stepAt(record, now);
    if (due > record.emittedStep) {
      this.#catchUp.push({ id: record.id, step: due, at: now });
      this.hub.publish({ jobId: record.id, tenant, at: now });
      if (this.#loaded) this.#feedCatchUp();
      if (due >= TERMINAL_STEP) {
        this.#tracked.delete(record.id);
        return;
      }
    }
    const step = Math.max(due, record.emittedStep) + 1;
    const at = stepInstant(record, step);
    this.#tracked.set(record.id, tenant, record.createdAt, record.finishAt, step, at);
    if (at < this.#timerAt) this.#arm();
  }

  #arm(): void {
    if (!this.#running || this.#ticking) return;
    const top = this.#tracked.earliest();
    if (top >= 0 && this.#tracked.at(top) === this.#timerAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
    if (top < 0) return;
    const at = this.#tracked.at(top);
    this.#timerAt = at;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, at - this.clock.now()));
    this.#timer = setTimeout(() => this.#tick(), delay);
    this.#timer.unref?.();
  }

  #tick(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#ticking = true;
    try {
      const now = this.clock.now();
      const tracked = this.#tracked;
      for (
        let handled = 0, top = tracked.earliest();
        // A timer may fire a hair before the clock reaches the instant: then it is armed again
        // for the rest. Announcing a job ended early would contradict a cancel the clock allows.
        top >= 0 && tracked.at(top) <= now && handled < TICK_BATCH;
        handled++, top = tracked.earliest()
      ) {
        const id = tracked.id(top);
        const job = {
          canceledAt: null,
          createdAt: tracked.createdAt(top),
          finishAt: tracked.finishAt(top),
        };
        const step = Math.max(tracked.step(top), stepAt(job, now));
        this.#writer.add({ id, step, at: now });
        this.hub.publish({ jobId: id, tenant: tracked.tenant(top), at: now });
        if (step < TERMINAL_STEP) tracked.move(top, step + 1, stepInstant(job, step + 1));
        else tracked.delete(id);
      }
    } finally {
      this.#ticking = false;
      this.#arm();
    }
  }

  /** Steps the store refused: tried again a second later, unless a later one is queued. */
  #retry(failed: readonly DueStep[]): void {
    const retryAt = this.clock.now() + RETRY_AFTER_STORE_ERROR_MS;
    for (const s of failed) {
      const slot = this.#tracked.slotOf(s.id);
      if (slot < 0) {
        // It is no longer tracked (terminal step): re-read the job then, as a restart would.
        setTimeout(() => void this.#trackById(s.id), RETRY_AFTER_STORE_ERROR_MS).unref();
        continue;
      }
      if (this.#tracked.step(slot) > s.step) continue;
      this.#tracked.move(slot, s.step, retryAt);
    }
    this.#arm();
  }
}
