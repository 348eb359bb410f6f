import { createApiError, parseProblem } from '../errors/create-api-error.js';
import { MalformedResponseError } from '../errors/malformed-response-error.js';
import { TimeoutError } from '../errors/timeout-error.js';
import type { ResolvedClientOptions } from '../options.js';
import type { Clock, Random } from './clock.js';
import { parseRetryAfterMs } from './headers.js';
import {
  bodyFailedError,
  describeTarget,
  requestFailedError,
  requestTimeoutError,
  type RequestTarget,
} from './network-failure.js';
import type { RetryBudget } from './retry-budget.js';

/** Everything the internals share: resolved options, time, randomness, the retry budget. */
export interface ClientContext {
  readonly options: ResolvedClientOptions;
  readonly clock: Clock;
  readonly random: Random;
  readonly budget: RetryBudget | undefined;
}

/** One HTTP request. */
export interface RequestSpec {
  method: 'GET' | 'POST';
  /** Relative to `baseUrl`, without a leading slash, e.g. `v1/jobs`. */
  path: string;
  query?: Record<string, string | undefined>;
  headers?: Record<string, string>;
  /** Serialised as JSON. */
  body?: unknown;
  /** The caller's signal: aborting rejects with its reason, unchanged. */
  signal?: AbortSignal | undefined;
  /** Timeout of this one request (headers and body), ms. */
  timeoutMs: number;
}

/** An answer whose body was read. */
export interface JsonResponse {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON; `undefined` for 304. */
  readonly body: unknown;
  readonly requestId: string | undefined;
  /** The request answered (for error messages). */
  readonly target: RequestTarget;
}

/** An answer whose body is still to be read (streams); `close()` releases everything. */
export interface OpenResponse {
  readonly response: Response;
  readonly signal: AbortSignal;
  /** The request sent (for error messages). */
  readonly target: RequestTarget;
  /** Stops the request timeout (a stream then relies on its idle timeout). */
  disarm(): void;
  close(): void;
}

const NOT_MODIFIED = 304;
const REQUEST_ID = 'x-request-id';

function buildUrl(ctx: ClientContext, spec: RequestSpec): URL {
  const url = new URL(spec.path, ctx.options.baseUrl);
  for (const [key, value] of Object.entries(spec.query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, value);
  }
  return url;
}

function buildHeaders(ctx: ClientContext, spec: RequestSpec): Headers {
  const headers = new Headers(spec.headers);
  if (!headers.has('accept')) headers.set('accept', 'application/json');
  if (spec.body !== undefined) headers.set('content-type', 'application/json');
  if (ctx.options.apiKey !== undefined)
    headers.set('authorization', `Bearer ${ctx.options.apiKey}`);
  return headers;
}

/** Cancels a body nobody will read, so the connection is released. */
export function discardBody(response: Response): void {
  if (response.body !== null && !response.bodyUsed) response.body.cancel().catch(() => undefined);
}

/**
 * Sends a request and resolves once headers arrive. The timeout keeps running until `close()`,
 * so it covers reading the body too; the caller must call `close()`.
 */
export async function openRequest(ctx: ClientContext, spec: RequestSpec): Promise<OpenResponse> {
  const userSignal = spec.signal;
  if (userSignal?.aborted === true) throw userSignal.reason;
  const target: RequestTarget = { method: spec.method, url: buildUrl(ctx, spec) };
  const controller = new AbortController();
  let isTimedOut = false;
  const onAbort = (): void => controller.abort(userSignal?.reason);
  userSignal?.addEventListener('abort', onAbort, { once: true });
  const timer = ctx.clock.setTimeout(() => {
    isTimedOut = true;
    controller.abort(requestTimeoutError(target, spec.timeoutMs));
  }, spec.timeoutMs);
  const close = (): void => {
    ctx.clock.clearTimeout(timer);
    userSignal?.removeEventListener('abort', onAbort);
  };
  const fail = (error: unknown): unknown => {
    close();
    if (userSignal?.aborted === true) return userSignal.reason;
    if (isTimedOut) return requestTimeoutError(target, spec.timeoutMs);
    return requestFailedError(target, error);
  };
  try {
    const init: RequestInit = {
      method: spec.method,
      headers: buildHeaders(ctx, spec),
      signal: controller.signal,
    };
    if (spec.body !== undefined) init.body = JSON.stringify(spec.body);
    const response = await ctx.options.fetch(target.url.href, init);
    return {
      response,
      signal: controller.signal,
      target,
      disarm: () => ctx.clock.clearTimeout(timer),
      close: () => {
        close();
        discardBody(response);
      },
    };
  } catch (error) {
    throw fail(error);
  }
}

/** Reads a body as text, mapping failures like {@link openRequest} does. */
export async function readText(
  open: OpenResponse,
  spec: RequestSpec,
  ctx: ClientContext,
): Promise<string> {
  try {
    return await open.response.text();
  } catch (error) {
    const reason: unknown = open.signal.reason;
    if (spec.signal?.aborted === true) throw spec.signal.reason;
    if (reason instanceof TimeoutError) throw reason;
    ctx.options.logger.debug?.('vtrans: body read failed', { path: spec.path });
    throw bodyFailedError(open.target, error);
  }
}

/**
 * Sends a request and reads its JSON body. Resolves 2xx and 304; rejects every other status
 * with the class {@link createApiError} picks, a 2xx with a non-JSON body with
 * `MalformedResponseError`.
 */
export async function requestJson(ctx: ClientContext, spec: RequestSpec): Promise<JsonResponse> {
  const open = await openRequest(ctx, spec);
  const { response, target } = open;
  const requestId = response.headers.get(REQUEST_ID) ?? undefined;
  try {
    if (response.status === NOT_MODIFIED) {
      return {
        status: response.status,
        headers: response.headers,
        body: undefined,
        requestId,
        target,
      };
    }
    const text = await readText(open, spec, ctx);
    if (!response.ok) {
      const problem = parseProblem(text);
      throw createApiError({
        status: response.status,
        code: typeof problem?.code === 'string' ? problem.code : undefined,
        requestId,
        retryAfterMs: parseRetryAfterMs(response.headers.get('retry-after'), ctx.clock.now()),
        problem,
      });
    }
    try {
      return {
        status: response.status,
        headers: response.headers,
        body: JSON.parse(text),
        requestId,
        target,
      };
    } catch (error) {
      throw new MalformedResponseError(
        `The answer from ${target.url.origin} to ${describeTarget(target)} is not JSON`,
        { status: response.status, requestId, cause: error, url: target.url.href },
      );
    }
  } finally {
    open.close();
  }
}
