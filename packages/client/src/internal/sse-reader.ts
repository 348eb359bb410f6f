import { NetworkError } from '../errors/network-error.js';
import { TimeoutError } from '../errors/timeout-error.js';
import type { Clock } from './clock.js';
import { describeTarget, failureReason, type RequestTarget } from './network-failure.js';
import { SseParser, type SseEvent } from './sse-parser.js';

/** Options of {@link readSseStream}. */
export interface ReadSseOptions {
  clock: Clock;
  /** Silence (no bytes, heartbeats included) longer than this fails the read. */
  idleTimeoutMs: number;
  onEvent(event: SseEvent): void;
  /** The stream's request, for error messages. */
  target: RequestTarget;
  /** Aborting cancels the body and rejects with the reason. */
  signal: AbortSignal;
}

/**
 * Reads a `text/event-stream` body to its end, dispatching events. Rejects with `TimeoutError`
 * after `idleTimeoutMs` of silence, `NetworkError` if the stream breaks, the signal's reason if
 * aborted; the body is cancelled in every case.
 */
export async function readSseStream(
  body: ReadableStream<Uint8Array>,
  options: ReadSseOptions,
): Promise<void> {
  const { clock, signal, target } = options;
  const stream = `The event stream from ${target.url.origin} (${describeTarget(target)})`;
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser({ onEvent: (event) => options.onEvent(event) });
  let failure: Error | undefined;
  let timer: unknown;
  const stop = (reason: Error): void => {
    failure ??= reason;
    reader.cancel().catch(() => undefined);
  };
  // A getter, because the idle timer and the abort listener set `failure` behind TS's back.
  const current = (): Error | undefined => failure;
  const armIdle = (): void => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = clock.setTimeout(
      () =>
        stop(
          new TimeoutError(options.idleTimeoutMs, {
            message: `${stream} was silent (not even a heartbeat) for ${options.idleTimeoutMs} ms`,
            url: target.url.href,
          }),
        ),
      options.idleTimeoutMs,
    );
  };
  const onAbort = (): void => stop(signal.reason as Error);
  if (signal.aborted) onAbort();
  signal.addEventListener('abort', onAbort, { once: true });
  armIdle();
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        const reason = failureReason(error);
        throw (
          failure ??
          new NetworkError(`${stream} broke off (${reason ?? 'no reason given'})`, {
            cause: error,
            url: target.url.href,
            reason,
          })
        );
      }
      if (failure !== undefined) throw failure;
      if (chunk.done) return;
      armIdle();
      parser.push(decoder.decode(chunk.value, { stream: true }));
      const late = current();
      if (late !== undefined) throw late;
    }
  } finally {
    if (timer !== undefined) clock.clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    reader.releaseLock();
  }
}
