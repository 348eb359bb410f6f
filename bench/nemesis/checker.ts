/**
 * The history checker: every property, over the history of a run and the final state read back
 * through the API. It judges behaviour a client can see — answers, events, webhooks — so it keeps
 * working whatever a store does inside. Zero anomalies is the bar.
 */
import { Findings, type Verdict } from './anomalies.js';
import { checkEvents } from './check-events.js';
import { checkCreates, checkObservations, checkUnresolved, checkWaits } from './check-jobs.js';
import { checkWebhooks } from './check-webhooks.js';
import type { History } from './history.js';
import type { Truth } from './truth.js';

export interface CheckOptions {
  /** Keys whose create never got an answer, even sent again after the faults. */
  unresolvedKeys: readonly string[];
  /** The run's start: details give times relative to it. */
  startedAt: number;
}

export function check(history: History, truth: Truth, options: CheckOptions): Verdict {
  const f = new Findings();
  checkCreates(history, truth, f);
  checkUnresolved(options.unresolvedKeys, f);
  checkWaits(history, truth, f);
  checkObservations(history, truth, options.startedAt, f);
  checkEvents(history, truth, f);
  checkWebhooks(history, truth, f);
  return f.verdict();
}
