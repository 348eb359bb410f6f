/**
 * Writes the lifecycle steps the scheduler found due, in batches: each batch reads the jobs'
 * records, builds each step's event from its record and instant, and hands them to the store in
 * one `emitSteps` call (which writes each at most once across instances). Steps due together
 * share a write — waiters were woken before it, from the clock — and a long queue (a catch-up
 * after a restart) is written a bounded batch at a time, yielding between batches, so the event
 * loop never waits long. A terminal event is never written before the clock reaches the job's
 * finish instant, so "terminal event written" always implies "finished" to the stores' indexes.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.js';
import { eventForStep } from '../sim/job-events.js';
import { TERMINAL_STEP } from '../sim/job-model.js';
import type { StepEmission, Store } from '../store/types.js';

/** One step to write: the job, the step, and the instant its event describes. */
export interface DueStep {
  id: string;
  step: number;
  at: number;
}

/** Steps written in one store call. */
export const WRITE_BATCH = 500;
/**
 * A short queue waits this long after the previous write, so a burst of finishing jobs costs one
 * synced commit per window rather than one per timer tick; a full batch is written at once.
 */
const EMIT_BATCH_MS = 25;

export class StepWriter {
  #queue: DueStep[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  #lastWriteAt = -Infinity;
  #running = true;
  /** Steps handed in so far, and steps whose write has been tried. */
  #added = 0;
  #settled = 0;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly log: FastifyBaseLogger,
    /** Told about the steps of a batch the store refused (to be tried again). */
    private readonly onFailure: (failed: readonly DueStep[]) => void,
  ) {}

  /** Steps queued or being written. */
  get backlog(): number {
    return this.#queue.length + (this.#writing ? 1 : 0);
  }

  add(step: DueStep): void {
    this.#queue.push(step);
    this.#added++;
    this.#schedule();
  }

  /** A mark for `hasSettled`: every step handed in so far. */
  mark(): number {
    return this.#added;
  }

  /** Whether every step handed in before `mark` has been written (or tried and queued again). */
  hasSettled(mark: number): boolean {
    return this.#settled >= mark;
  }

  /** Stops scheduling and writes what is queued. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#writing;
    while (this.#queue.length > 0) await this.#writeBatch();
  }

  #schedule(): void {
    if (this.#queue.length === 0 || this.#timer || this.#writing || !this.#running) return;
    const now = this.clock.now();
    const full = this.#queue.length >= WRITE_BATCH;
    let delay = full ? 0 : Math.max(0, this.#lastWriteAt + EMIT_BATCH_MS - now);
    // A step found due a hair early (timers fire up to a millisecond early) waits for its instant.
    const early = this.#latestInBatch() - now;
    if (early > 0) delay = Math.max(delay, early);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#latestInBatch() > this.clock.now()) return this.#schedule();
      this.#writing = this.#writeBatch().finally(() => {
        this.#writing = undefined;
        this.#schedule();
      });
    }, delay);
    this.#timer.unref?.();
  }

  #latestInBatch(): number {
    let latest = -Infinity;
    const end = Math.min(WRITE_BATCH, this.#queue.length);
    for (let i = 0; i < end; i++) latest = Math.max(latest, this.#queue[i]!.at);
    return latest;
  }

  async #writeBatch(): Promise<void> {
    const batch = this.#queue.splice(0, WRITE_BATCH);
    if (batch.length === 0) return;
    this.#lastWriteAt = this.clock.now();
    try {
      const records = new Map(
        (await this.store.getJobs(batch.map((s) => s.id))).map((r) => [r.id, r]),
      );
      const emissions: StepEmission[] = [];
      for (const s of batch) {
        const record = records.get(s.id);
        // Gone (purged), canceled, or written already (here or by another instance): skip it.
        if (!record || record.emittedStep >= s.step || record.canceledAt !== null) continue;
        if (s.step >= TERMINAL_STEP && s.at < record.finishAt) continue;
        emissions.push({ id: s.id, step: s.step, event: eventForStep(record, s.step, s.at) });
      }
      await this.store.emitSteps(emissions);
    } catch (err) {
      this.log.error({ err }, 'scheduler could not write job events; retrying');
      if (this.#running) this.onFailure(batch);
    } finally {
      this.#settled += batch.length;
    }
  }
}
