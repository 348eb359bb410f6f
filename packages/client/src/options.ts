import { MAX_TIMER_MS } from './internal/clock.js';
import type { Job } from './types/job.js';
import type { Logger } from './types/logger.js';

/** How a wait learns about changes; `auto` picks the cheapest the server supports. */
export type WaitStrategy = 'auto' | 'long-poll' | 'sse' | 'poll';

/** What carried an update to `onUpdate`. */
export type WaitTransport = 'long-poll' | 'batch-long-poll' | 'poll' | 'sse' | 'events';

/** Retry policy for transient failures (network, timeouts, malformed bodies, 408/425/429/5xx). */
export interface RetryOptions {
  /**
   * Retries of one plain call (`getJob`, `createJob`...). Waits retry until their deadline.
   * @default 2
   */
  maxRetries?: number;
  /**
   * First retry delay; doubles per attempt, half of it jittered.
   * @default 500
   */
  baseDelayMs?: number;
  /**
   * Cap of one retry delay (a longer `Retry-After` is still honoured, up to the deadline). Low
   * enough that a wait meeting a streak of failures notices completion within seconds of the
   * server recovering; the retry budget, not this cap, keeps an outage from multiplying traffic.
   * @default 3000
   */
  maxDelayMs?: number;
  /**
   * The per-client token bucket every retry draws from, or `false` for none. Each retry takes a
   * token; tokens come back with time (`refillPerSecond`) and with each successful answer
   * (`refillPerSuccess`), up to `capacity`. An outage (no successes) is held to the burst, then
   * the time refill; under partial failure (fewer failures than successes) it stays topped up.
   * @default { capacity: 20, refillPerSecond: 1, refillPerSuccess: 1 }
   */
  budget?: { capacity?: number; refillPerSecond?: number; refillPerSuccess?: number } | false;
}

/** Options of {@link VtransClient}. */
export interface ClientOptions {
  /** The server, e.g. `http://localhost:3000`. */
  baseUrl: string | URL;
  /** Sent as `Authorization: Bearer <apiKey>`; omit in open mode. */
  apiKey?: string;
  /**
   * The `fetch` to use (a custom agent, a test double).
   * @default globalThis.fetch
   */
  fetch?: typeof globalThis.fetch;
  /**
   * Timeout of one request, ms; a long poll gets its hold on top.
   * @default 15000
   */
  requestTimeoutMs?: number;
  /** Retry policy; see {@link RetryOptions}. */
  retry?: RetryOptions;
  /** Receives debug and warning messages; nothing is logged without one. */
  logger?: Logger;
}

/** Bounds of polling (used when the server does not hold requests). */
export interface PollOptions {
  /**
   * Shortest interval between two polls, ms.
   * @default 250
   */
  minIntervalMs?: number;
  /**
   * Longest interval between two polls, ms.
   * @default 5000
   */
  maxIntervalMs?: number;
}

/** What `onUpdate` is told beside the job. */
export interface UpdateInfo {
  /** Requests made for this wait so far (shared ones included). */
  readonly attempt: number;
  /** Time since the wait started, ms. */
  readonly elapsedMs: number;
  /** What carried the update. */
  readonly transport: WaitTransport;
}

/** Options of `waitForJob`, `watchJob`, `translate`, `waitForStatus`. */
export interface WaitOptions {
  /**
   * Deadline of the whole wait, ms; then `WaitTimeoutError` (the job keeps running).
   * @default 600000
   */
  timeoutMs?: number;
  /** Aborts the wait: it rejects with `signal.reason` unchanged and sends nothing more. */
  signal?: AbortSignal;
  /** Called on each change of the job (the first state seen included). */
  onUpdate?: (job: Job, info: UpdateInfo) => void;
  /**
   * How to learn about changes.
   * @default 'auto'
   */
  strategy?: WaitStrategy;
  /** Polling bounds; see {@link PollOptions}. */
  poll?: PollOptions;
}

/**
 * The default of every option a user can set (internal tuning constants are not options and live
 * elsewhere).
 */
export const DEFAULTS = {
  requestTimeoutMs: 15_000,
  retry: {
    maxRetries: 2,
    baseDelayMs: 500,
    maxDelayMs: 3_000,
    budget: { capacity: 20, refillPerSecond: 1, refillPerSuccess: 1 },
  },
  timeoutMs: 600_000,
  strategy: 'auto',
  poll: { minIntervalMs: 250, maxIntervalMs: 5_000 },
} as const;

/** {@link ClientOptions} after validation, every default applied. */
export interface ResolvedClientOptions {
  baseUrl: URL;
  apiKey: string | undefined;
  fetch: typeof globalThis.fetch;
  requestTimeoutMs: number;
  retry: {
    maxRetries: number;
    baseDelayMs: number;
    maxDelayMs: number;
    budget: { capacity: number; refillPerSecond: number; refillPerSuccess: number } | false;
  };
  logger: Logger;
}

/** {@link WaitOptions} after validation. */
export interface ResolvedWaitOptions {
  timeoutMs: number;
  signal: AbortSignal | undefined;
  onUpdate: ((job: Job, info: UpdateInfo) => void) | undefined;
  strategy: WaitStrategy;
  poll: { minIntervalMs: number; maxIntervalMs: number };
}

const STRATEGIES: readonly WaitStrategy[] = ['auto', 'long-poll', 'sse', 'poll'];

function invalid(name: string, expected: string, value: unknown): TypeError {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return new TypeError(`Invalid option "${name}": expected ${expected}, got ${shown}`);
}

function number(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > MAX_TIMER_MS) {
    throw invalid(name, `a number between ${min} and ${MAX_TIMER_MS}`, value);
  }
  return value;
}

/** Validates client options eagerly, naming the first bad one in a `TypeError`. */
export function normaliseClientOptions(options: ClientOptions): ResolvedClientOptions {
  if (typeof options !== 'object' || options === null)
    throw invalid('options', 'an object', options);
  let baseUrl: URL;
  try {
    baseUrl = new URL(String(options.baseUrl));
  } catch {
    throw invalid('baseUrl', 'an absolute http(s) URL', options.baseUrl);
  }
  if (baseUrl.protocol !== 'http:' && baseUrl.protocol !== 'https:') {
    throw invalid('baseUrl', 'an absolute http(s) URL', options.baseUrl);
  }
  if (!baseUrl.pathname.endsWith('/')) baseUrl.pathname += '/';
  if (
    options.apiKey !== undefined &&
    (typeof options.apiKey !== 'string' || options.apiKey === '')
  ) {
    throw invalid('apiKey', 'a non-empty string', options.apiKey);
  }
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function') throw invalid('fetch', 'a fetch function', fetchImpl);
  const retry = options.retry ?? {};
  const budget = retry.budget ?? DEFAULTS.retry.budget;
  return {
    baseUrl,
    apiKey: options.apiKey,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    requestTimeoutMs: number(
      'requestTimeoutMs',
      options.requestTimeoutMs,
      DEFAULTS.requestTimeoutMs,
      1,
    ),
    retry: {
      maxRetries: number('retry.maxRetries', retry.maxRetries, DEFAULTS.retry.maxRetries, 0),
      baseDelayMs: number('retry.baseDelayMs', retry.baseDelayMs, DEFAULTS.retry.baseDelayMs, 0),
      maxDelayMs: number('retry.maxDelayMs', retry.maxDelayMs, DEFAULTS.retry.maxDelayMs, 0),
      budget:
        budget === false
          ? false
          : {
              capacity: number(
                'retry.budget.capacity',
                budget.capacity,
                DEFAULTS.retry.budget.capacity,
                1,
              ),
              refillPerSecond: number(
                'retry.budget.refillPerSecond',
                budget.refillPerSecond,
                DEFAULTS.retry.budget.refillPerSecond,
                0,
              ),
              refillPerSuccess: number(
                'retry.budget.refillPerSuccess',
                budget.refillPerSuccess,
                DEFAULTS.retry.budget.refillPerSuccess,
                0,
              ),
            },
    },
    logger: options.logger ?? {},
  };
}

/** Validates wait options eagerly, naming the first bad one in a `TypeError`. */
export function normaliseWaitOptions(options: WaitOptions = {}): ResolvedWaitOptions {
  const strategy = options.strategy ?? DEFAULTS.strategy;
  if (!STRATEGIES.includes(strategy)) throw invalid('strategy', STRATEGIES.join(' | '), strategy);
  if (options.onUpdate !== undefined && typeof options.onUpdate !== 'function') {
    throw invalid('onUpdate', 'a function', options.onUpdate);
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw invalid('signal', 'an AbortSignal', options.signal);
  }
  const minIntervalMs = number(
    'poll.minIntervalMs',
    options.poll?.minIntervalMs,
    DEFAULTS.poll.minIntervalMs,
    1,
  );
  const maxIntervalMs = number(
    'poll.maxIntervalMs',
    options.poll?.maxIntervalMs,
    DEFAULTS.poll.maxIntervalMs,
    minIntervalMs,
  );
  return {
    timeoutMs: number('timeoutMs', options.timeoutMs, DEFAULTS.timeoutMs, 0),
    signal: options.signal,
    onUpdate: options.onUpdate,
    strategy,
    poll: { minIntervalMs, maxIntervalMs },
  };
}
