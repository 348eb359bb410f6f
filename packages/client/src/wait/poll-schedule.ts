import { hintlessPollDelayMs } from '../internal/backoff.js';
import type { Random } from '../internal/clock.js';
import { parseIsoMs } from '../internal/headers.js';
import type { Job } from '../types/job.js';

/** What the next poll is scheduled from. */
export interface PollScheduleInput {
  nowMs: number;
  /** When the wait started (the no-hint schedule grows with the time waited). */
  waitStartedAtMs: number;
  /** The last state seen, if any (its `eta` and `created_at` are the best hints). */
  job: Job | undefined;
  /** The last answer's `Retry-After`, ms. */
  retryAfterMs: number | undefined;
  poll: { minIntervalMs: number; maxIntervalMs: number };
  random: Random;
}

/**
 * Polls are spent in a window this wide (as a share of the expected duration) either side of
 * `eta`; before it opens one poll at its start suffices. The real finish may be ±50 %, but most
 * land within ±20 % (the simulator's default jitter): 40 % balances the two (see the bench).
 */
const UNCERTAINTY = 0.4;
/**
 * Inside the window, polls get denser towards `eta`: spacing = SLOPE·|t − eta| + FLOOR·duration.
 * Tuned by simulation (test/poll-schedule.test.ts): ~7 requests and ~130 ms late for 3 s jobs,
 * ~10 requests and < 1 s late for 60 s jobs.
 */
const SLOPE = 0.22;
const FLOOR = 0.03;
/** A little jitter so many clients polling the same kind of job do not synchronise. */
const JITTER = 0.1;

/**
 * The delay before the next poll. With an `eta`: one poll when the uncertainty window opens
 * (eta − 40 % of the expected duration), then polls densest around `eta`, then (overdue) a
 * schedule growing with the job's age. `Retry-After` on a pending answer caps the delay. Without
 * hints: see `hintlessPollDelayMs` (lateness ≤ min(max, max(min, 20 % of elapsed))).
 */
export function nextPollDelayMs(input: PollScheduleInput): number {
  const { nowMs, job, poll, random } = input;
  const etaMs = parseIsoMs(job?.eta);
  const createdMs = parseIsoMs(job?.created_at);
  let delayMs: number;
  if (etaMs !== undefined && createdMs !== undefined && etaMs > createdMs) {
    const durationMs = etaMs - createdMs;
    const windowStartMs = etaMs - UNCERTAINTY * durationMs;
    const windowEndMs = etaMs + UNCERTAINTY * durationMs;
    if (nowMs < windowStartMs) {
      delayMs = windowStartMs - nowMs;
    } else if (nowMs < windowEndMs) {
      const spacing = SLOPE * Math.abs(nowMs - etaMs) + FLOOR * durationMs;
      delayMs = Math.max(poll.minIntervalMs, spacing * (1 - JITTER * random()));
    } else {
      delayMs = hintlessPollDelayMs(nowMs - createdMs, poll, random);
    }
    if (input.retryAfterMs !== undefined && input.retryAfterMs > 0) {
      delayMs = Math.min(delayMs, Math.max(poll.minIntervalMs, input.retryAfterMs));
    }
  } else if (input.retryAfterMs !== undefined) {
    delayMs = Math.min(poll.maxIntervalMs, Math.max(poll.minIntervalMs, input.retryAfterMs));
  } else {
    delayMs = hintlessPollDelayMs(nowMs - input.waitStartedAtMs, poll, random);
  }
  return Math.round(delayMs);
}

/** What {@link earliestPollDelayMs} reads about each wait. */
export interface PollStateLookup {
  nowMs: number;
  random: Random;
  jobOf(id: string): Job | undefined;
  retryAfterMsOf(id: string): number | undefined;
}

/** The delay before the next shared poll: the soonest any of the waits needs one. */
export function earliestPollDelayMs(
  waits: readonly {
    jobId: string;
    startedAtMs: number;
    poll: { minIntervalMs: number; maxIntervalMs: number };
  }[],
  state: PollStateLookup,
): number {
  let earliest = Number.POSITIVE_INFINITY;
  for (const wait of waits) {
    const delayMs = nextPollDelayMs({
      nowMs: state.nowMs,
      waitStartedAtMs: wait.startedAtMs,
      job: state.jobOf(wait.jobId),
      retryAfterMs: state.retryAfterMsOf(wait.jobId),
      poll: wait.poll,
      random: state.random,
    });
    earliest = Math.min(earliest, delayMs);
  }
  return earliest;
}
