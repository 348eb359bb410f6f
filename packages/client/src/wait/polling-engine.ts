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
import type { Job } from '../types/job.js';
import {
  fetchBatchStatus,
  fetchJobStatus,
  jobIfNoneMatch,
  type StatusAnswer,
} from './long-poll.js';
import { earliestPollDelayMs } from './poll-schedule.js';
import { createEventsStream, pollInBatches, type ManyWaitsHost } from './many-waits.js';
import type { StreamEngine } from './stream-engine.js';
import { isNews, notFoundError, type WaitEngine, type WaitSubscriber } from './subscriber.js';

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
  private readonly subscribers = new Map<string, Set<WaitSubscriber>>();
  private readonly known = new Map<string, Job>();
  private readonly retryAfterMs = new Map<string, number>();
  private stop: AbortController | undefined;
  private rearm: AbortController | undefined;
  private rearmTimer: TimerHandle;
  /**
   * The id set of the last batch answer and its ETag. Ids whose waits ended stay in it (their
   * jobs are terminal and never wake the hold), so a leaving wait costs no new snapshot.
   */
  private batch:
    { key: string; ids: string[]; idSet: Set<string>; etag: string | undefined } | undefined;
  private stream: StreamEngine | undefined;
  private isHoldRefused = false;
  /** The server has no `/v1/events` (404, 405, 501): more than 100 waits poll in batches. */
  private isStreamUnsupported = false;
  private noNewsStreak = 0;
  private errorStreak = 0;
  private size = 0;

  constructor(
    private readonly ctx: ClientContext,
    private readonly config: PollingEngineConfig,
  ) {}

  add(subscriber: WaitSubscriber): void {
    let set = this.subscribers.get(subscriber.jobId);
    const isNewId = set === undefined;
    if (set === undefined) {
      set = new Set();
      this.subscribers.set(subscriber.jobId, set);
    }
    set.add(subscriber);
    this.size += 1;
    const known = this.known.get(subscriber.jobId);
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
      }, DEFAULTS.joinCoalesceMs);
    }
  }

  remove(subscriber: WaitSubscriber): void {
    const set = this.subscribers.get(subscriber.jobId);
    if (set?.delete(subscriber) !== true) return;
    this.size -= 1;
    if (set.size === 0) {
      this.subscribers.delete(subscriber.jobId);
      this.known.delete(subscriber.jobId);
      this.retryAfterMs.delete(subscriber.jobId);
    }
    // Once on the event stream, waits stay there until none is left: switching back to a batch
    // long poll would cost a snapshot request, and a connection while the stream's closes.
    if (this.size === 0) {
      this.clearRearmTimer();
      this.stop?.abort();
    }
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
    while (!stop.aborted && this.size > 0) {
      try {
        if (!this.config.isShared || this.subscribers.size <= DEFAULTS.maxBatchSize) {
          await this.step(stop);
        } else if (this.isStreamUnsupported) {
          await this.pollRound(stop);
          await this.pollPause(
            [...this.subscribers.values()].flatMap((set) => [...set]),
            stop,
          );
        } else {
          await this.runStream(stop);
        }
      } catch (error) {
        if (stop.aborted) return;
        this.failAll(error);
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
      ids: () => [...this.subscribers.keys()],
      subscribersOf: (id) => this.subscribers.get(id) ?? [],
      dispatch: (job, transport) => this.dispatch(job, transport),
      failId: (id, error) => this.failId(id, error),
      failAll: (error) => this.failAll(error),
      markStreamUnsupported: () => {
        this.isStreamUnsupported = true;
      },
    };
  }

  private async step(stop: AbortSignal): Promise<void> {
    // This request covers every current id: a pending join re-arm has nothing left to do.
    this.clearRearmTimer();
    const current = [...this.subscribers.keys()];
    const { batch } = this;
    const isReusable = batch !== undefined && current.every((id) => batch.idSet.has(id));
    const ids = isReusable ? batch.ids : current;
    const subs = [...this.subscribers.values()].flatMap((set) => [...set]);
    const now = this.ctx.clock.now();
    const earliestDeadline = subs.reduce((min, s) => Math.min(min, s.deadlineAtMs), Infinity);
    const timeLeftMs = earliestDeadline - DEFAULTS.finalCheckLeadMs - now;
    const holdS = this.config.isLongPoll
      ? Math.max(0, Math.min(DEFAULTS.maxHoldS, Math.floor(timeLeftMs / MS_PER_S)))
      : 0;
    const key = isReusable ? batch.key : ids.slice().sort().join(',');
    const isSnapshot = ids.length > 1 && holdS > 0 && !isReusable;
    const askedHoldS = isSnapshot ? 0 : holdS;
    const rearm = new AbortController();
    this.rearm = rearm;
    const signal = AbortSignal.any([stop, rearm.signal]);
    for (const sub of subs) sub.countRequest();
    let answer: StatusAnswer;
    try {
      await yieldSocket(this.ctx);
      answer = await this.fetch(ids, key, askedHoldS, signal);
    } catch (error) {
      if (stop.aborted || rearm.signal.aborted) return;
      if (!isTransientError(error)) {
        for (const id of ids) this.failId(id, error);
        return;
      }
      // A failed re-arm of a held wait leaves every wait on it blind: retried almost at once.
      const isHeldWait = holdS > 0 && !this.isHoldRefused;
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
      return;
    } finally {
      this.rearm = undefined;
    }
    this.errorStreak = 0;
    recordSuccess(this.ctx);
    const isBatch = ids.length > 1;
    const transport = isBatch ? 'batch-long-poll' : answer.isHoldApplied ? 'long-poll' : 'poll';
    // A batch snapshot is the first half of a batch long poll; a plain answer is a poll.
    const isHeld = isBatch ? holdS > 0 : askedHoldS > 0 && answer.isHoldApplied;
    let hasNews = false;
    for (const job of answer.jobs) {
      if (answer.retryAfterMs !== undefined) this.retryAfterMs.set(job.id, answer.retryAfterMs);
      if (this.dispatch(job, isHeld ? transport : 'poll')) hasNews = true;
    }
    for (const id of answer.notFound) {
      this.failId(id, notFoundError(id));
    }
    if (askedHoldS === 0 && holdS > 0) return;
    const elapsedMs = this.ctx.clock.now() - now;
    if (askedHoldS > 0 && answer.isHoldApplied) {
      this.isHoldRefused = false;
      const isHeld = answer.status === 304 && elapsedMs >= askedHoldS * MS_PER_S * MIN_HOLD_SHARE;
      if (hasNews || isHeld) {
        this.noNewsStreak = 0;
        return;
      }
      const policy = {
        baseDelayMs: subs[0]?.poll.minIntervalMs ?? DEFAULTS.poll.minIntervalMs,
        maxDelayMs: DEFAULTS.poll.maxIntervalMs,
      };
      await sleep(backoffDelayMs(this.noNewsStreak++, policy, this.ctx.random), {
        clock: this.ctx.clock,
        signal: stop,
      });
      return;
    }
    if (askedHoldS > 0) this.isHoldRefused = true;
    await this.pollPause(subs, stop);
  }

  private async fetch(
    ids: string[],
    key: string,
    holdS: number,
    signal: AbortSignal,
  ): Promise<StatusAnswer> {
    const [first] = ids;
    if (ids.length === 1 && first !== undefined) {
      const lastJob = this.known.get(first);
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
      jobOf: (id) => this.known.get(id),
      retryAfterMsOf: (id) => this.retryAfterMs.get(id),
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

  /** Records and forwards a state; returns whether it was news. */
  private dispatch(job: Job, transport: Parameters<WaitSubscriber['deliver']>[1]): boolean {
    const set = this.subscribers.get(job.id);
    if (set === undefined) return false;
    const previous = this.known.get(job.id);
    if (previous !== undefined && job.version < previous.version) return false;
    const hasNews = isNews(previous, job);
    this.known.set(job.id, job);
    for (const sub of [...set]) sub.deliver(job, transport);
    return hasNews;
  }

  private failId(id: string, error: unknown): void {
    for (const sub of [...(this.subscribers.get(id) ?? [])]) sub.fail(error);
  }

  private failAll(error: unknown): void {
    for (const id of [...this.subscribers.keys()]) this.failId(id, error);
  }
}
