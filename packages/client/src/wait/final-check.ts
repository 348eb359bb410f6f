import type { ClientContext } from '../internal/http.js';
import { TUNING } from '../internal/tuning.js';
import type { Job } from '../types/job.js';
import { fetchJobStatus } from './long-poll.js';

/** What the last check before a deadline found. */
export type FinalCheckResult =
  | { readonly outcome: 'answered'; readonly jobs: readonly Job[] }
  /** The request failed: the server is down, unreachable, answering errors… */
  | { readonly outcome: 'failed'; readonly failure: unknown }
  /** Given up at the deadline's grace (or aborted): it says nothing about the server. */
  | { readonly outcome: 'abandoned' };

/** How the last check is bounded. */
export interface FinalCheckOptions {
  deadlineAtMs: number;
  /** The caller's signal. */
  signal: AbortSignal | undefined;
  /** Aborted when the grace after the deadline runs out (and by the wait, when it settles). */
  abort: AbortController;
}

/**
 * One unheld `GET /v1/jobs/{id}` just before a wait's deadline, abandoned
 * `TUNING.finalCheckGraceMs` after it. It never throws: the deadline has come, and whatever it
 * finds only decides what the timeout says.
 */
export async function finalCheck(
  ctx: ClientContext,
  id: string,
  { deadlineAtMs, signal, abort }: FinalCheckOptions,
): Promise<FinalCheckResult> {
  const graceMs = Math.max(0, deadlineAtMs + TUNING.finalCheckGraceMs - ctx.clock.now());
  const timer = ctx.clock.setTimeout(() => abort.abort(), graceMs);
  try {
    const answer = await fetchJobStatus(ctx, id, {
      holdS: 0,
      ifNoneMatch: undefined,
      signal: signal === undefined ? abort.signal : AbortSignal.any([signal, abort.signal]),
    });
    return { outcome: 'answered', jobs: answer.jobs };
  } catch (error) {
    if (abort.signal.aborted || signal?.aborted === true) return { outcome: 'abandoned' };
    return { outcome: 'failed', failure: error };
  } finally {
    ctx.clock.clearTimeout(timer);
  }
}
