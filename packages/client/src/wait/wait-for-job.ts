import { JobCanceledError } from '../errors/job-canceled-error.js';
import { JobFailedError } from '../errors/job-failed-error.js';
import { WaitTimeoutError } from '../errors/wait-timeout-error.js';
import type { TimerHandle } from '../internal/clock.js';
import type { ClientContext } from '../internal/http.js';
import { TUNING } from '../internal/tuning.js';
import type { ResolvedWaitOptions, WaitTransport } from '../options.js';
import type { Job } from '../types/job.js';
import { finalCheck, type FinalCheckResult } from './final-check.js';
import { isNews, type WaitEngine, type WaitSubscriber } from './subscriber.js';

/** Where a wait gets its engine from. */
export interface WaitDeps {
  readonly ctx: ClientContext;
  /** The engine for this wait's strategy (shared for `auto`, private otherwise). */
  engineFor(options: ResolvedWaitOptions): WaitEngine;
}

/**
 * Waits until job `id` is terminal: resolves with the completed job, rejects `JobFailedError`,
 * `JobCanceledError`, `WaitTimeoutError` (after one last check just before the deadline), a
 * non-transient `ApiError`, or the signal's reason (unchanged, within a tick).
 */
export function waitForJob(
  deps: WaitDeps,
  id: string,
  options: ResolvedWaitOptions,
  initialJob?: Job,
): Promise<Job> {
  const { signal } = options;
  if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
  return new Promise<Job>((resolve, reject) => {
    new JobWait(deps, id, options, { resolve, reject }).start(initialJob);
  });
}

/** How a {@link JobWait} ends its promise. */
interface Settlers {
  resolve(job: Job): void;
  reject(error: unknown): void;
}

/**
 * What a timeout names as its cause: the last check's failure; nothing when it got an answer (the
 * server works, the job is just not done); when it was abandoned, the engine's last failure.
 */
function causeOfTimeout(check: FinalCheckResult, engineFailure: unknown): unknown {
  switch (check.outcome) {
    case 'answered':
      return undefined;
    case 'failed':
      return check.failure;
    case 'abandoned':
      return engineFailure;
  }
}

/** Whether `job` is worth an `onUpdate`: news, or a new stage or progress reading. */
function hasChanged(previous: Job | undefined, job: Job): boolean {
  return (
    isNews(previous, job) || previous?.stage !== job.stage || previous.progress !== job.progress
  );
}

/**
 * One wait, from the engine's side a {@link WaitSubscriber}. It lives in three phases: subscribed
 * to its engine until shortly before the deadline; then one last check of its own (so a job that
 * finished in the last moments is not reported as a timeout); then settled, exactly once — by a
 * terminal state, a failure, the deadline or the caller's signal, whichever comes first.
 */
class JobWait implements WaitSubscriber {
  readonly startedAtMs: number;
  readonly deadlineAtMs: number;
  readonly poll: ResolvedWaitOptions['poll'];
  private readonly engine: WaitEngine;
  private latest: Job | undefined;
  private requests = 0;
  private isSettled = false;
  private isInEngine = false;
  private deadlineTimer: TimerHandle;
  /** Aborts the last check when the caller aborts during it. */
  private finalCheckAbort: AbortController | undefined;

  constructor(
    private readonly deps: WaitDeps,
    readonly jobId: string,
    private readonly options: ResolvedWaitOptions,
    private readonly settlers: Settlers,
  ) {
    this.startedAtMs = deps.ctx.clock.now();
    this.deadlineAtMs = this.startedAtMs + options.timeoutMs;
    this.poll = options.poll;
    this.engine = deps.engineFor(options);
  }

  /** Arms the deadline and the signal, takes `initialJob` (a job just created), joins the engine. */
  start(initialJob: Job | undefined): void {
    const { clock } = this.deps.ctx;
    this.deadlineTimer = clock.setTimeout(
      () => void this.runFinalCheck(),
      Math.max(0, this.options.timeoutMs - TUNING.finalCheckLeadMs),
    );
    this.options.signal?.addEventListener('abort', this.onAbort, { once: true });
    if (initialJob !== undefined) this.deliver(initialJob, 'poll');
    if (this.isSettled) return;
    this.isInEngine = true;
    this.engine.add(this);
  }

  // The engine's side (WaitSubscriber).

  lastJob(): Job | undefined {
    return this.latest;
  }

  countRequest(): void {
    this.requests += 1;
  }

  deliver(job: Job, transport: WaitTransport): void {
    if (this.isSettled || job.id !== this.jobId) return;
    if (this.latest !== undefined && job.version < this.latest.version) return;
    if (!hasChanged(this.latest, job)) return;
    this.latest = job;
    this.notify(job, transport);
    if (job.status === 'completed') this.settle(() => this.settlers.resolve(job));
    else if (job.status === 'error')
      this.settle(() => this.settlers.reject(new JobFailedError(job)));
    else if (job.status === 'canceled')
      this.settle(() => this.settlers.reject(new JobCanceledError(job)));
  }

  fail(error: unknown): void {
    this.settle(() => this.settlers.reject(error));
  }

  // The wait's own side.

  /** Calls `onUpdate`; a callback that throws is logged, never the wait's end. */
  private notify(job: Job, transport: WaitTransport): void {
    try {
      this.options.onUpdate?.(job, {
        attempt: this.requests,
        elapsedMs: this.deps.ctx.clock.now() - this.startedAtMs,
        transport,
      });
    } catch (error) {
      this.deps.ctx.options.logger.warn?.('vtrans: onUpdate threw', { error: String(error) });
    }
  }

  private readonly onAbort = (): void => {
    this.finalCheckAbort?.abort();
    this.settle(() => this.settlers.reject(this.options.signal?.reason));
  };

  /**
   * Just before the deadline: leaves the engine (whose held request may last past it) and asks
   * once more without a hold; whatever that finds is delivered, and if the job is still running
   * the wait times out, naming the last failure when requests were failing.
   */
  private async runFinalCheck(): Promise<void> {
    if (this.isSettled) return;
    const engineFailure = this.engine.lastFailure();
    this.leaveEngine();
    this.finalCheckAbort = new AbortController();
    this.requests += 1;
    const check = await finalCheck(this.deps.ctx, this.jobId, {
      deadlineAtMs: this.deadlineAtMs,
      signal: this.options.signal,
      abort: this.finalCheckAbort,
    });
    if (check.outcome === 'answered') for (const job of check.jobs) this.deliver(job, 'poll');
    this.timeOut(causeOfTimeout(check, engineFailure));
  }

  private timeOut(cause: unknown): void {
    this.settle(() =>
      this.settlers.reject(
        new WaitTimeoutError({
          jobId: this.jobId,
          lastJob: this.latest,
          elapsedMs: this.deps.ctx.clock.now() - this.startedAtMs,
          requests: this.requests,
          cause,
        }),
      ),
    );
  }

  private leaveEngine(): void {
    if (this.isInEngine) this.engine.remove(this);
    this.isInEngine = false;
  }

  /** Ends the wait once: stops the deadline, the signal listener and the engine's service. */
  private settle(outcome: () => void): void {
    if (this.isSettled) return;
    this.isSettled = true;
    this.deps.ctx.clock.clearTimeout(this.deadlineTimer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.leaveEngine();
    outcome();
  }
}
