/**
 * What each fault cost the clients, read from the history: around each fault (from 1 s before its
 * signal to 2 s after the process was back) how many creates failed (after the client's own retries) and how
 * long the slowest took, how late waits learned that their jobs ended, how late `/v1/events`
 * readers got events and the receiver got webhooks (the first send of each; deliveries the receiver
 * failed on purpose left out). The same figures outside every fault window
 * are the baseline.
 */
import type { Verdict } from './anomalies.js';
import type { FaultKind, History } from './history.js';
import type { PlannedFault } from './nemesis.js';
import type { Truth } from './truth.js';

/**
 * A fault's window: from this long before its signal (work in flight when it hit) until this long
 * after its process was back. The baseline keeps a further margin away from every window.
 */
export const LEAD_MS = 1000;
export const AFTERMATH_MS = 2000;
const BASELINE_MARGIN_MS = 2000;

export interface FaultCost {
  label: string;
  kind: FaultKind | 'none';
  target: string;
  atS: number;
  downMs: number;
  creates: number;
  createsFailed: number;
  slowestCreateMs: number;
  waitsEnded: number;
  latestWaitMs: number;
  eventLagMs: number;
  webhookDelayMs: number;
}

interface Window {
  from: number;
  to: number;
}

const within = (t: number, w: Window) => t >= w.from && t <= w.to;
const max = (values: number[]) => (values.length === 0 ? 0 : Math.max(...values));

/** Per event id, when a reader first got it, and the event's own instant. */
function firstReceipts(history: History): Map<string, { at: number; receivedAt: number }> {
  const first = new Map<string, { at: number; receivedAt: number }>();
  for (const s of history.sessions) {
    for (const e of s.events) {
      const seen = first.get(e.id);
      if (!seen || e.receivedAt < seen.receivedAt) {
        first.set(e.id, { at: e.eventAt, receivedAt: e.receivedAt });
      }
    }
  }
  return first;
}

function costIn(
  windows: readonly Window[],
  history: History,
  truth: Truth,
  receipts: Map<string, { at: number; receivedAt: number }>,
) {
  const inAny = (t: number) => windows.some((w) => within(t, w));
  const overlaps = (start: number, end: number) =>
    windows.some((w) => start <= w.to && end >= w.from);
  const creates = history.ops.filter(
    (o) => o.kind === 'create' && o.purpose !== 'reuse' && overlaps(o.start, o.end),
  );
  const waitLateness: number[] = [];
  for (const op of history.ops) {
    if (op.kind !== 'wait') continue;
    const job = truth.final.get(op.jobId);
    const endedAt =
      job && job !== 'missing' && job.completed_at ? Date.parse(job.completed_at) : NaN;
    if (Number.isFinite(endedAt) && inAny(endedAt) && op.start <= endedAt) {
      waitLateness.push(op.end - endedAt);
    }
  }
  const lags = [...receipts.values()].filter((r) => inAny(r.at)).map((r) => r.receivedAt - r.at);
  // Webhook delay: event to first arrival, for deliveries the receiver did not fail on purpose.
  const firstArrival = new Map<string, (typeof history.arrivals)[number]>();
  for (const a of history.arrivals) {
    const seen = firstArrival.get(a.webhookId);
    if (!seen || a.at < seen.at) firstArrival.set(a.webhookId, a);
  }
  const delays: number[] = [];
  for (const a of firstArrival.values()) {
    const at = Date.parse(a.eventTimestamp);
    if (a.answered >= 200 && a.answered < 300 && !a.late && inAny(at)) delays.push(a.at - at);
  }
  return {
    creates: creates.length,
    createsFailed: creates.filter((o) => o.kind === 'create' && !o.result.ok).length,
    slowestCreateMs: max(creates.map((o) => o.end - o.start)),
    waitsEnded: waitLateness.length,
    latestWaitMs: max(waitLateness),
    eventLagMs: max(lags),
    webhookDelayMs: max(delays),
  };
}

export function faultCosts(history: History, truth: Truth, runWindow: Window): FaultCost[] {
  const receipts = firstReceipts(history);
  const rows: FaultCost[] = history.faults.map((f) => ({
    label: `${f.kind} ${f.target}`,
    kind: f.kind,
    target: f.target,
    atS: (f.start - runWindow.from) / 1000,
    downMs: f.end - f.start,
    ...costIn([{ from: f.start - LEAD_MS, to: f.end + AFTERMATH_MS }], history, truth, receipts),
  }));
  // The baseline: the stretches of the run outside every fault window.
  const quiet: Window[] = [];
  let from = runWindow.from;
  for (const f of [...history.faults].sort((a, b) => a.start - b.start)) {
    const start = f.start - LEAD_MS - BASELINE_MARGIN_MS;
    if (start > from) quiet.push({ from, to: start });
    from = Math.max(from, f.end + AFTERMATH_MS + BASELINE_MARGIN_MS);
  }
  if (runWindow.to > from) quiet.push({ from, to: runWindow.to });
  rows.push({
    label: 'no fault (baseline)',
    kind: 'none',
    target: '',
    atS: 0,
    downMs: 0,
    ...costIn(quiet, history, truth, receipts),
  });
  return rows;
}

const ms = (n: number) => String(Math.round(n));

export function costTable(rows: readonly FaultCost[]): string {
  return [
    '| t (s) | fault | down ms | creates (failed) | slowest create ms | waits ended | latest wait ms | event lag ms | webhook delay ms |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.kind === 'none' ? '–' : r.atS.toFixed(1)} | ${r.label} | ${r.kind === 'none' ? '–' : ms(r.downMs)} | ${r.creates} (${r.createsFailed}) | ${ms(r.slowestCreateMs)} | ${r.waitsEnded} | ${ms(r.latestWaitMs)} | ${ms(r.eventLagMs)} | ${ms(r.webhookDelayMs)} |`,
    ),
  ].join('\n');
}

const range = (values: number[]) => {
  if (values.length === 0) return '–';
  const lo = Math.round(Math.min(...values));
  const hi = Math.round(Math.max(...values));
  return lo === hi ? String(lo) : `${lo}–${hi}`;
};

/** One row per fault kind: how often, and the range of each cost over its occurrences. */
export function costByKindTable(rows: readonly FaultCost[]): string {
  const kinds = [...new Set(rows.map((r) => r.kind))];
  return [
    '| fault | times | creates failed | slowest create ms | latest wait ms | event lag ms | webhook delay ms |',
    '|---|---|---|---|---|---|---|',
    ...kinds.map((kind) => {
      const of = rows.filter((r) => r.kind === kind);
      const failed = of.reduce((n, r) => n + r.createsFailed, 0);
      const creates = of.reduce((n, r) => n + r.creates, 0);
      return `| ${kind === 'none' ? 'none (baseline)' : kind} | ${kind === 'none' ? '–' : of.length} | ${failed} of ${creates} | ${range(of.map((r) => r.slowestCreateMs))} | ${range(of.map((r) => r.latestWaitMs))} | ${range(of.map((r) => r.eventLagMs))} | ${range(of.map((r) => r.webhookDelayMs))} |`;
    }),
  ].join('\n');
}

export function scheduleText(plan: readonly PlannedFault[]): string {
  return plan
    .map(
      (f) =>
        `  +${(f.atMs / 1000).toFixed(1)}s ${f.kind} ${f.target}${f.durationMs ? ` ${f.durationMs} ms` : ''}`,
    )
    .join('\n');
}

export function verdictText(verdict: Verdict): string {
  const lines = [
    `checked: ${Object.entries(verdict.checked)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  ];
  for (const note of verdict.notes) lines.push(`note: ${note}`);
  const kinds = Object.entries(verdict.byKind);
  if (kinds.length === 0) lines.push('verdict: no anomaly');
  else {
    lines.push(
      `verdict: ${verdict.anomalies.length} anomalies — ${kinds.map(([k, n]) => `${k} ${n}`).join(', ')}`,
    );
    for (const [kind] of kinds) {
      const examples = verdict.anomalies.filter((a) => a.kind === kind).slice(0, 5);
      for (const a of examples) lines.push(`  ${kind}: ${a.detail}`);
    }
  }
  return lines.join('\n');
}

export function countsText(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `  ${k}: ${v}`)
    .join('\n');
}
