import { ApiError } from '../errors/api-error.js';
import { createApiError, parseProblem } from '../errors/create-api-error.js';
import { openRequest, readText, type ClientContext, type OpenResponse } from '../internal/http.js';
import { isJobLike } from '../internal/parse.js';
import {
  acquireRetryToken,
  isTransientError,
  rearmDelayMs,
  recordSuccess,
} from '../internal/retry.js';
import { readSseStream } from '../internal/sse-reader.js';
import type { SseEvent } from '../internal/sse-parser.js';
import { sleep, yieldSocket } from '../internal/sleep.js';
import { TUNING } from '../internal/tuning.js';
import type { Job } from '../types/job.js';
import type { StatusAnswer } from './long-poll.js';

/** What a {@link StreamEngine} reads and whom it tells. */
export interface StreamEngineConfig {
  /** `v1/events` or `v1/jobs/{id}/events`. */
  path: string;
  transport: 'events' | 'sse';
  /** The ids whose current state must be fetched once the stream is open. */
  ids(): string[];
  /**
   * Fetches current states (no hold) for ≤ 100 ids, or `undefined` when the stream itself starts
   * with the current state (the per-job stream does).
   */
  catchUp: ((ids: string[], signal: AbortSignal) => Promise<StatusAnswer>) | undefined;
  /** Called for each connection attempt (request accounting). */
  onConnect?(): void;
  onJob(job: Job): void;
  onNotFound(id: string): void;
  onFatal(error: unknown): void;
  /** How the latest request went: its (transient) failure, or `undefined` when it succeeded. */
  onOutcome(failure: unknown): void;
  /**
   * The stream could not be opened (a transient failure): refresh the jobs some other way
   * before the reconnection's backoff, so waits progress during a stream outage.
   */
  onUnavailable?(signal: AbortSignal): Promise<void>;
}

/**
 * Reads an SSE stream (fetch + parser, reconnecting with `Last-Event-ID`) and, once it is open,
 * fetches the current state of every tracked job so nothing that happened before the
 * subscription is missed. Two connections at most: the stream and one catch-up request.
 */
export class StreamEngine {
  private readonly pending = new Set<string>();
  private controller: AbortController | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly ctx: ClientContext,
    private readonly config: StreamEngineConfig,
  ) {}

  /** Fetches this id's current state soon (it joined while the stream was open). */
  track(id: string): void {
    this.pending.add(id);
    this.wake?.();
  }

  /** Ends {@link run}. */
  stop(): void {
    this.controller?.abort();
  }

  /** Streams until `stop` aborts, {@link stop} is called or a non-transient error occurs. */
  async run(stop: AbortSignal): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    const signal = AbortSignal.any([stop, controller.signal]);
    let lastEventId: string | undefined;
    let errorStreak = 0;
    while (!signal.aborted) {
      let failure: unknown;
      const session = new AbortController();
      const sessionSignal = AbortSignal.any([signal, session.signal]);
      let open: OpenResponse | undefined;
      let isOpen = false;
      let catchUp: Promise<void> | undefined;
      let hasEvents = false;
      try {
        open = await this.open(lastEventId, sessionSignal);
        isOpen = true;
        if (lastEventId === undefined) for (const id of this.config.ids()) this.pending.add(id);
        // The catch-up outlives a stream that is stopped or dropped: it finishes its request
        // instead of being aborted, which would cost its connection (and a new one after).
        catchUp = this.catchUpLoop(stop, session.signal).catch((error: unknown) => {
          this.config.onFatal(error);
        });
        await readSseStream(open.response.body as ReadableStream<Uint8Array>, {
          clock: this.ctx.clock,
          idleTimeoutMs: TUNING.sseIdleTimeoutMs,
          signal: sessionSignal,
          target: open.target,
          onEvent: (event) => {
            // The first event proves the stream works: it counts as one successful answer.
            if (!hasEvents) {
              recordSuccess(this.ctx);
              this.config.onOutcome(undefined);
            }
            hasEvents = true;
            errorStreak = 0;
            if (event.hasId) lastEventId = event.lastEventId;
            this.handle(event);
          },
        });
      } catch (error) {
        failure = error;
      } finally {
        session.abort();
        open?.close();
        this.wake?.();
        await catchUp;
      }
      if (signal.aborted) return;
      if (failure !== undefined && !isTransientError(failure)) {
        this.config.onFatal(failure);
        return;
      }
      if (failure !== undefined) this.config.onOutcome(failure);
      // A stream that delivered events since the last failure resumes at once (Last-Event-ID
      // loses nothing) unless told `Retry-After`; the first empty or failed session after that is
      // retried almost at once too (see rearmDelayMs), then further ones back off, so a broken
      // proxy cannot cause a tight loop.
      const hasRetryAfter = failure instanceof ApiError && failure.retryAfterMs !== undefined;
      const delayMs =
        errorStreak === 0 && !hasRetryAfter
          ? 0
          : rearmDelayMs(this.ctx, failure, Math.max(0, errorStreak - 1));
      errorStreak += 1;
      this.ctx.options.logger.debug?.('vtrans: event stream ended, reconnecting', {
        delayMs,
        lastEventId,
      });
      try {
        if (!isOpen) await this.config.onUnavailable?.(signal);
        await sleep(delayMs, { clock: this.ctx.clock, signal });
        await acquireRetryToken(this.ctx, signal);
      } catch (error) {
        // Stopped while pausing; anything else is a bug, and surfaces.
        if (signal.aborted) return;
        throw error;
      }
    }
  }

  private async open(lastEventId: string | undefined, signal: AbortSignal): Promise<OpenResponse> {
    this.config.onConnect?.();
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    const open = await openRequest(this.ctx, {
      method: 'GET',
      path: this.config.path,
      headers,
      signal,
      timeoutMs: this.ctx.options.requestTimeoutMs,
    });
    const { response } = open;
    if (response.status === 204) {
      // Server-Sent Events' "stop reconnecting": a per-job stream whose terminal event this
      // client already received. Not transient, so the engine ends instead of looping.
      open.close();
      throw new ApiError(`204: the event stream ${this.config.path} is over; not reconnecting`, {
        status: 204,
        requestId: response.headers.get('x-request-id') ?? undefined,
      });
    }
    if (!response.ok || response.body === null) {
      const text = await readText(
        open,
        { method: 'GET', path: this.config.path, signal, timeoutMs: 0 },
        this.ctx,
      ).finally(() => open.close());
      const problem = parseProblem(text);
      throw createApiError({
        status: response.status,
        code: typeof problem?.code === 'string' ? problem.code : undefined,
        requestId: response.headers.get('x-request-id') ?? undefined,
        problem,
      });
    }
    open.disarm();
    return open;
  }

  private handle(event: SseEvent): void {
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      this.ctx.options.logger.debug?.('vtrans: ignoring a non-JSON event', { type: event.type });
      return;
    }
    if (isJobLike(data)) this.config.onJob(data);
  }

  private async catchUpLoop(signal: AbortSignal, ended: AbortSignal): Promise<void> {
    let errorStreak = 0;
    while (!signal.aborted && !ended.aborted) {
      if (this.pending.size === 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = undefined;
        continue;
      }
      const ids = [...this.pending].slice(0, TUNING.maxBatchSize);
      for (const id of ids) this.pending.delete(id);
      const { catchUp } = this.config;
      if (catchUp === undefined) continue;
      try {
        await yieldSocket(this.ctx);
        const answer = await catchUp(ids, signal);
        errorStreak = 0;
        recordSuccess(this.ctx);
        this.config.onOutcome(undefined);
        for (const job of answer.jobs) this.config.onJob(job);
        for (const id of answer.notFound) this.config.onNotFound(id);
      } catch (error) {
        if (signal.aborted) return;
        if (!isTransientError(error)) {
          this.config.onFatal(error);
          return;
        }
        this.config.onOutcome(error);
        for (const id of ids) this.pending.add(id);
        try {
          // The catch-up is part of arming the stream: retried like a held wait's re-arm.
          await sleep(rearmDelayMs(this.ctx, error, errorStreak++), {
            clock: this.ctx.clock,
            signal,
          });
        } catch (sleepError) {
          if (signal.aborted) return;
          throw sleepError;
        }
      }
    }
  }
}
