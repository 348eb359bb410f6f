import { backoffDelayMs } from '../internal/backoff.js';
import type { TimerHandle } from '../internal/clock.js';
import type { ClientContext } from '../internal/http.js';
import {
  acquireRetryToken,
  isTransientError,
  rearmDelayMs,
  recordSuccess,
  retryDelayMs,
} from '../internal/retry.js';
import { sleep, yieldSocket } from '../internal/sleep.js';
import { DEFAULTS } from '../options.js';
import { TUNING } from '../internal/tuning.js';
import {
  fetchBatchStatus,
  fetchJobStatus,
  jobIfNoneMatch,
  type StatusAnswer,
} from './long-poll.js';
import { earliestPollDelayMs } from './poll-schedule.js';
import { isSnapshot, planRequest, type BatchMemory, type RequestPlan } from './request-plan.js';
import { createEventsStream, pollInBatches, type ManyWaitsHost } from './many-waits.js';
import type { StreamEngine } from './stream-engine.js';
import { notFoundError, type WaitEngine, type WaitSubscriber } from './subscriber.js';
import { WaitRegistry } from './wait-registry.js';

/** How a {@link PollingEngine} works. */
export interface PollingEngineConfig {
  /** Ask the server to hold requests (`Prefer: wait`); otherwise plain polling from hints. */
  isLongPoll: boolean;
  /** Serve many waits: one batch long poll for up to 100, one `/v1/events` stream beyond. */
  isShared: boolean;
}

const MS_PER_S = 1000;

/** A 304 arriving before this share of its hold means the server is not really holding. */
const MIN_HOLD_SHARE = 0.5;

/**
 * Keeps waits informed by (long) polling: one waiter → `GET /v1/jobs/{id}`; several → one batch
 * `GET /v1/jobs?ids=…` re-armed as they join; more than 100 → one `/v1/events` stream. When the
 * server does not apply the hold it polls from `eta`/`Retry-After` and otherwise backs off.
 */
export class PollingEngine implements WaitEngine {
  private readonly waits = new WaitRegistry();
  private stop: AbortController | undefined;
  private rearm: AbortController | undefined;
  private rearmTimer: TimerHandle;
  /**
   * The id set of the last batch answer and its ETag. Ids whose waits ended stay in it (their
   * jobs are terminal and never wake the hold), so a leaving wait costs no new snapshot.
   */
  private batch: BatchMemory | undefined;
  private stream: StreamEngine | undefined;
  private isHoldRefused = false;
  /** The server has no `/v1/events` (404, 405, 501): more than 100 waits poll in batches. */
  private isStreamUnsupported = false;
  private noNewsStreak = 0;
  private errorStreak = 0;
  /** The latest request's failure, until a request succeeds (see `WaitEngine.lastFailure`). */
  private failure: unknown;

  constructor(
    private readonly ctx: ClientContext,
    private readonly config: PollingEngineConfig,
  ) {}

  add(subscriber: WaitSubscriber): void {
    const isNewId = this.waits.add(subscriber);
    const known = this.waits.jobOf(subscriber.jobId);
    if (known !== undefined) queueMicrotask(() => subscriber.deliver(known, 'batch-long-poll'));
    if (this.stream !== undefined) this.stream.track(subscriber.jobId);
    if (this.stop === undefined || this.stop.signal.aborted) {
      this.start();
    } else if (isNewId && this.rearmTimer === undefined) {
      // Coalesces waits joining one after another (a loop of createJob + waitForJob) into one
      // re-arm; the held request keeps serving the others meanwhile.
      this.rearmTimer = this.ctx.clock.setTimeout(() => {
        this.rearmTimer = undefined;
        this.rearm?.abort();
      }, TUNING.joinCoalesceMs);
    }
  }

  remove(subscriber: WaitSubscriber): void {
    if (!this.waits.remove(subscriber)) return;
    // Once on the event stream, waits stay there until none is left: switching back to a batch
    // long poll would cost a snapshot request, and a connection while the stream's closes.
    if (this.waits.size === 0) {
      this.clearRearmTimer();
      this.stop?.abort();
    }
  }

  lastFailure(): unknown {
    return this.failure;
  }

  private clearRearmTimer(): void {
    if (this.rearmTimer !== undefined) this.ctx.clock.clearTimeout(this.rearmTimer);
    this.rearmTimer = undefined;
  }

  private start(): void {
    const stop = new AbortController();
    this.stop = stop;
    this.isHoldRefused = false;
    // Waits started in the same tick (Promise.all over many ids) join before the first request.
    queueMicrotask(() => void this.run(stop.signal));
  }

  private async run(stop: AbortSignal): Promise<void> {
    while (!stop.aborted && this.waits.size > 0) {
      try {
        if (!this.config.isShared || this.waits.idCount <= TUNING.maxBatchSize) {
          await this.step(stop);
        } else if (this.isStreamUnsupported) {
          await this.pollRound(stop);
          await this.pollPause(this.waits.all(), stop);
        } else {
          await this.runStream(stop);
        }
      } catch (error) {
        if (stop.aborted) return;
        this.waits.failAll(error);
      }
    }
  }

  private async runStream(stop: AbortSignal): Promise<void> {
    const stream = createEventsStream(this.host());
    this.stream = stream;
    try {
      await stream.run(stop);
    } finally {
      this.stream = undefined;
      this.batch = undefined;
    }
  }

  private pollRound(stop: AbortSignal): Promise<void> {
    return pollInBatches(this.host(), stop);
  }

  private host(): ManyWaitsHost {
    return {
      ctx: this.ctx,
      ids: () => this.waits.ids(),
      subscribersOf: (id) => this.waits.subscribersOf(id),
      dispatch: (job, transport) => this.waits.dispatch(job, transport),
      failId: (id, error) => this.waits.failId(id, error),
      failAll: (error) => this.waits.failAll(error),
      markStreamUnsupported: () => {
        this.isStreamUnsupported = true;
      },
      noteOutcome: (failure) => {
        this.failure = failure;
      },
    };
  }

  /** One request for every current wait, what it brought, and the pause its answer calls for. */
  private async step(stop: AbortSignal): Promise<void> {
    // This request covers every current id: a pending join re-arm has nothing left to do.
    this.clearRearmTimer();
    const plan = planRequest({
      subscribers: this.waits.subscribersById,
      batch: this.batch,
      nowMs: this.ctx.clock.now(),
      isLongPoll: this.config.isLongPoll,
    });
    const answer = await this.send(plan, stop);
    if (answer === undefined) return;
    const hasNews = this.take(plan, answer);
    await this.pace(plan, answer, hasNews, stop);
  }

  /**
   * Sends the planned request. A joining wait may abort it (`rearm`) to be included at once. A
   * failure is dealt with here — the waits fail when it is not transient, else the retry delay is
   * slept — and yields `undefined`, as does an abort.
   */
  private async send(plan: RequestPlan, stop: AbortSignal): Promise<StatusAnswer | undefined> {
    const rearm = new AbortController();
    this.rearm = rearm;
    for (const sub of plan.subscribers) sub.countRequest();
    let answer: StatusAnswer;
    try {
      await yieldSocket(this.ctx);
      answer = await this.fetch(plan, AbortSignal.any([stop, rearm.signal]));
    } catch (error) {
      this.rearm = undefined;
      if (!stop.aborted && !rearm.signal.aborted) await this.recover(plan, error, stop);
      return undefined;
    }
    this.rearm = undefined;
    this.errorStreak = 0;
    this.failure = undefined;
    recordSuccess(this.ctx);
    return answer;
  }

  /** After a failed request: fails its waits (not transient) or sleeps before the retry. */
  private async recover(plan: RequestPlan, error: unknown, stop: AbortSignal): Promise<void> {
    if (!isTransientError(error)) {
      for (const id of plan.ids) this.waits.failId(id, error);
      return;
    }
    this.failure = error;
    // A failed re-arm of a held wait leaves every wait on it blind: retried almost at once.
    const isHeldWait = plan.holdS > 0 && !this.isHoldRefused;
    const delayMs = isHeldWait
      ? rearmDelayMs(this.ctx, error, this.errorStreak)
      : retryDelayMs(this.ctx, error, this.errorStreak);
    this.errorStreak += 1;
    this.ctx.options.logger.debug?.('vtrans: wait request failed, retrying', {
      delayMs,
      error: String(error),
    });
    await sleep(delayMs, { clock: this.ctx.clock, signal: stop });
    await acquireRetryToken(this.ctx, stop);
  }

  /** Hands the answer's jobs to their waits and fails the ids it did not find; returns whether any was news. */
  private take(plan: RequestPlan, answer: StatusAnswer): boolean {
    const isBatch = plan.ids.length > 1;
    const transport = isBatch ? 'batch-long-poll' : answer.isHoldApplied ? 'long-poll' : 'poll';
    // A batch snapshot is the first half of a batch long poll; a plain answer is a poll.
    const isHeld = isBatch ? plan.holdS > 0 : plan.askedHoldS > 0 && answer.isHoldApplied;
    let hasNews = false;
    for (const job of answer.jobs) {
      if (answer.retryAfterMs !== undefined) this.waits.noteRetryAfter(job.id, answer.retryAfterMs);
      if (this.waits.dispatch(job, isHeld ? transport : 'poll')) hasNews = true;
    }
    for (const id of answer.notFound) this.waits.failId(id, notFoundError(id));
    return hasNews;
  }

  /**
   * The pause before the next request. None after a snapshot (the held request follows) or a
   * real hold; a server that applies holds but answers early without news is backed off from;
   * a server that does not hold is polled from the jobs' hints.
   */
  private async pace(
    plan: RequestPlan,
    answer: StatusAnswer,
    hasNews: boolean,
    stop: AbortSignal,
  ): Promise<void> {
    if (isSnapshot(plan)) return;
    if (plan.askedHoldS > 0 && answer.isHoldApplied) {
      this.isHoldRefused = false;
      const heldMs = this.ctx.clock.now() - plan.atMs;
      const wasHeld =
        answer.status === 304 && heldMs >= plan.askedHoldS * MS_PER_S * MIN_HOLD_SHARE;
      if (hasNews || wasHeld) {
        this.noNewsStreak = 0;
        return;
      }
      const policy = {
        baseDelayMs: plan.subscribers[0]?.poll.minIntervalMs ?? DEFAULTS.poll.minIntervalMs,
        maxDelayMs: DEFAULTS.poll.maxIntervalMs,
      };
      await sleep(backoffDelayMs(this.noNewsStreak++, policy, this.ctx.random), {
        clock: this.ctx.clock,
        signal: stop,
      });
      return;
    }
    if (plan.askedHoldS > 0) this.isHoldRefused = true;
    await this.pollPause(plan.subscribers, stop);
  }

  /** The planned request: one job's long poll (or poll), or a batch's, with the ETag known for it. */
  private async fetch(plan: RequestPlan, signal: AbortSignal): Promise<StatusAnswer> {
    const { ids, key, askedHoldS: holdS } = plan;
    const [first] = ids;
    if (ids.length === 1 && first !== undefined) {
      const lastJob = this.waits.jobOf(first);
      const ifNoneMatch =
        this.isHoldRefused && lastJob === undefined ? undefined : jobIfNoneMatch(lastJob);
      return fetchJobStatus(this.ctx, first, { holdS, ifNoneMatch, signal });
    }
    const ifNoneMatch = this.batch?.key === key ? this.batch.etag : undefined;
    const answer = await fetchBatchStatus(this.ctx, ids, { holdS, ifNoneMatch, signal });
    if (answer.status !== 304) this.batch = { key, ids, idSet: new Set(ids), etag: answer.etag };
    return answer;
  }

  private async pollPause(subs: WaitSubscriber[], stop: AbortSignal): Promise<void> {
    const delayMs = earliestPollDelayMs(subs, {
      nowMs: this.ctx.clock.now(),
      random: this.ctx.random,
      jobOf: (id) => this.waits.jobOf(id),
      retryAfterMsOf: (id) => this.waits.retryAfterMsOf(id),
    });
    const rearm = new AbortController();
    this.rearm = rearm;
    try {
      await sleep(delayMs, {
        clock: this.ctx.clock,
        signal: AbortSignal.any([stop, rearm.signal]),
      });
    } catch (error) {
      if (!rearm.signal.aborted) throw error;
    } finally {
      this.rearm = undefined;
    }
  }
}
