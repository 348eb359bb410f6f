import { JobList, type ListJobsOptions } from './api/list-jobs.js';
import { systemClock, systemRandom, type Clock, type Random } from './internal/clock.js';
import { requestJson, type ClientContext, type RequestSpec } from './internal/http.js';
import { parseJob, parseJobPage } from './internal/parse.js';
import { callWithRetries } from './internal/retry.js';
import { RetryBudget } from './internal/retry-budget.js';
import {
  normaliseClientOptions,
  normaliseWaitOptions,
  type ClientOptions,
  type ResolvedWaitOptions,
  type UpdateInfo,
  type WaitOptions,
} from './options.js';
import type { CreateJobInput, Job, StatusResponse } from './types/job.js';
import { PollingEngine } from './wait/polling-engine.js';
import { SseEngine } from './wait/sse-engine.js';
import type { WaitEngine } from './wait/subscriber.js';
import { waitForJob } from './wait/wait-for-job.js';
import { waitForStatus } from './wait/wait-for-status.js';
import { watchJob } from './wait/watch-job.js';

/** Options of `createJob`. */
export interface CreateJobOptions {
  /** Makes retries safe: the same key and body return the original job. Generated when absent. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

/** Options of `getJob` and `cancelJob`. */
export interface RequestOptions {
  signal?: AbortSignal;
}

/** Options of `translate`: a wait plus the creation's idempotency key. */
export interface TranslateOptions extends WaitOptions {
  idempotencyKey?: string;
}

/** Options of `waitForStatus`. */
export interface WaitForStatusOptions extends Omit<WaitOptions, 'onUpdate' | 'strategy'> {
  /** A job id for `GET /status?job_id=`; the server's default job when absent. */
  jobId?: string;
  /** Called when the status read changes. */
  onUpdate?: (status: StatusResponse, info: UpdateInfo) => void;
}

/** Test seams: time and randomness. Not part of the public API. @internal */
export interface ClientInternals {
  clock?: Clock;
  random?: Random;
}

/**
 * The vtrans API client. One instance per server and key: concurrent waits on one client
 * share their requests.
 *
 * @example
 * const client = new VtransClient({ baseUrl: 'http://localhost:3000' });
 * const job = await client.translate({ source_url: 'https://example.com/a.mp4', target_language: 'es' });
 */
export class VtransClient {
  private readonly ctx: ClientContext;
  private sharedEngine: PollingEngine | undefined;

  /** Validates `options` at once; a bad one throws a `TypeError` naming it. */
  constructor(options: ClientOptions, internals: ClientInternals = {}) {
    const resolved = normaliseClientOptions(options);
    const clock = internals.clock ?? systemClock;
    this.ctx = {
      options: resolved,
      clock,
      random: internals.random ?? systemRandom,
      budget:
        resolved.retry.budget === false ? undefined : new RetryBudget(resolved.retry.budget, clock),
    };
  }

  /** Creates a job (`POST /v1/jobs`); retried safely thanks to the idempotency key. */
  async createJob(input: CreateJobInput = {}, options: CreateJobOptions = {}): Promise<Job> {
    const idempotencyKey = options.idempotencyKey ?? crypto.randomUUID();
    return this.jobCall(
      {
        method: 'POST',
        path: 'v1/jobs',
        headers: { 'idempotency-key': idempotencyKey },
        body: input,
      },
      options,
    );
  }

  /** Reads a job (`GET /v1/jobs/{id}`). */
  async getJob(id: string, options: RequestOptions = {}): Promise<Job> {
    return this.jobCall({ method: 'GET', path: `v1/jobs/${encodeURIComponent(id)}` }, options);
  }

  /** Cancels a pending job (safe to retry); a finished one rejects with `ConflictError` (409). */
  async cancelJob(id: string, options: RequestOptions = {}): Promise<Job> {
    return this.jobCall(
      { method: 'POST', path: `v1/jobs/${encodeURIComponent(id)}/cancel` },
      options,
    );
  }

  /** One call answering a job: the request timeout, the caller's signal, transient retries. */
  private async jobCall(
    spec: Omit<RequestSpec, 'signal' | 'timeoutMs'>,
    options: RequestOptions,
  ): Promise<Job> {
    return callWithRetries(
      this.ctx,
      async () =>
        parseJob(
          await requestJson(this.ctx, {
            ...spec,
            signal: options.signal,
            timeoutMs: this.ctx.options.requestTimeoutMs,
          }),
        ),
      { signal: options.signal },
    );
  }

  /** Lists jobs newest first, page by page as you iterate (`.pages()` for whole pages). */
  listJobs(options: ListJobsOptions = {}): JobList {
    return new JobList((cursor) =>
      callWithRetries(
        this.ctx,
        async () =>
          parseJobPage(
            await requestJson(this.ctx, {
              method: 'GET',
              path: 'v1/jobs',
              query: {
                status: options.status,
                limit: options.limit === undefined ? undefined : String(options.limit),
                cursor,
              },
              signal: options.signal,
              timeoutMs: this.ctx.options.requestTimeoutMs,
            }),
          ),
        { signal: options.signal },
      ),
    );
  }

  /**
   * Waits until the job is terminal and resolves with it when `completed`; rejects
   * `JobFailedError` / `JobCanceledError` (`.job`), `WaitTimeoutError`, `ApiError`, or the
   * signal's reason. Transient failures are retried until the deadline.
   */
  waitForJob(id: string, options: WaitOptions = {}): Promise<Job> {
    return this.startWait(id, normaliseWaitOptions(options));
  }

  /**
   * Yields each change of the job, the terminal state last, then ends (also when it failed).
   *
   * @example
   * for await (const job of client.watchJob(id)) console.log(job.status, job.stage);
   */
  watchJob(id: string, options: WaitOptions = {}): AsyncGenerator<Job, void, undefined> {
    normaliseWaitOptions(options);
    return watchJob((resolved) => this.waitForJob(id, resolved), options);
  }

  /** Creates a job (idempotently) and waits for it, like `createJob` then `waitForJob`. */
  async translate(input: CreateJobInput, options: TranslateOptions = {}): Promise<Job> {
    const { idempotencyKey, ...waitOptions } = options;
    const resolved = normaliseWaitOptions(waitOptions);
    const createOptions: CreateJobOptions = {};
    if (idempotencyKey !== undefined) createOptions.idempotencyKey = idempotencyKey;
    if (waitOptions.signal !== undefined) createOptions.signal = waitOptions.signal;
    const job = await this.createJob(input, createOptions);
    return this.startWait(job.id, resolved, job);
  }

  /**
   * Polls the original `GET /status` until it reads `completed` or `error` and resolves with that
   * body (the original endpoint carries no details, so `error` resolves too).
   */
  waitForStatus(options: WaitForStatusOptions = {}): Promise<StatusResponse> {
    const { jobId, onUpdate, ...waitOptions } = options;
    return waitForStatus(this.ctx, jobId, normaliseWaitOptions(waitOptions), onUpdate);
  }

  private startWait(id: string, options: ResolvedWaitOptions, initialJob?: Job): Promise<Job> {
    return waitForJob(
      { ctx: this.ctx, engineFor: (o) => this.engineFor(o) },
      id,
      options,
      initialJob,
    );
  }

  private engineFor(options: ResolvedWaitOptions): WaitEngine {
    switch (options.strategy) {
      case 'auto':
        this.sharedEngine ??= new PollingEngine(this.ctx, { isLongPoll: true, isShared: true });
        return this.sharedEngine;
      case 'long-poll':
        return new PollingEngine(this.ctx, { isLongPoll: true, isShared: false });
      case 'poll':
        return new PollingEngine(this.ctx, { isLongPoll: false, isShared: false });
      case 'sse':
        return new SseEngine(this.ctx);
    }
  }
}
