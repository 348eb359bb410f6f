import { TUNING } from '../internal/tuning.js';
import type { WaitSubscriber } from './subscriber.js';

const MS_PER_S = 1000;

/** The ids of the last whole batch answer and its ETag (see `PollingEngine`). */
export interface BatchMemory {
  /** The ids sorted and joined: which id set the ETag belongs to. */
  readonly key: string;
  readonly ids: string[];
  readonly idSet: ReadonlySet<string>;
  readonly etag: string | undefined;
}

/** What the polling engine's next request asks, and for whom. */
export interface RequestPlan {
  /** The ids asked: one (`GET /v1/jobs/{id}`) or several (`GET /v1/jobs?ids=…`). */
  readonly ids: string[];
  /** The ids sorted and joined, to match an ETag to its id set. */
  readonly key: string;
  /** The waits this request serves (each counts it). */
  readonly subscribers: WaitSubscriber[];
  /** The hold the waits can use: capped by the server's limit and the earliest deadline. */
  readonly holdS: number;
  /**
   * The hold actually asked: `holdS`, except 0 for a batch snapshot — a new id set has no ETag
   * yet, so it is first read unheld and held from the next request on.
   */
  readonly askedHoldS: number;
  /** When the plan was made (to tell a real hold from an early answer). */
  readonly atMs: number;
}

/** What a plan is made from. */
export interface PlanInput {
  /** The current waits, by job id. */
  readonly subscribers: ReadonlyMap<string, ReadonlySet<WaitSubscriber>>;
  /** The last whole batch answer, if any. */
  readonly batch: BatchMemory | undefined;
  readonly nowMs: number;
  /** Whether to ask for holds at all (long polling) or poll plainly. */
  readonly isLongPoll: boolean;
}

/**
 * Plans the next request of a polling engine. The last batch's id set is asked again while it
 * still covers every current id (ids whose waits ended stay in it: their jobs are terminal and
 * never wake the hold), so a leaving wait costs no new snapshot. The hold never outlasts the
 * earliest deadline's final check.
 */
export function planRequest({ subscribers, batch, nowMs, isLongPoll }: PlanInput): RequestPlan {
  const current = [...subscribers.keys()];
  const isReusable = batch !== undefined && current.every((id) => batch.idSet.has(id));
  const ids = isReusable ? batch.ids : current;
  const subs = [...subscribers.values()].flatMap((set) => [...set]);
  const earliestDeadline = subs.reduce((min, s) => Math.min(min, s.deadlineAtMs), Infinity);
  const timeLeftMs = earliestDeadline - TUNING.finalCheckLeadMs - nowMs;
  const holdS = isLongPoll
    ? Math.max(0, Math.min(TUNING.maxHoldS, Math.floor(timeLeftMs / MS_PER_S)))
    : 0;
  const isSnapshot = ids.length > 1 && holdS > 0 && !isReusable;
  return {
    ids,
    key: isReusable ? batch.key : ids.slice().sort().join(','),
    subscribers: subs,
    holdS,
    askedHoldS: isSnapshot ? 0 : holdS,
    atMs: nowMs,
  };
}

/** Whether the plan is a batch snapshot (an unheld read of a new id set before holding it). */
export function isSnapshot(plan: RequestPlan): boolean {
  return plan.askedHoldS === 0 && plan.holdS > 0;
}
