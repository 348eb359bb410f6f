/**
 * Everything the history holds about one job, in time order, with times relative to the run's
 * start — what the report prints under each anomaly so its cause can be read off.
 */
import type { History } from './history.js';
import type { Truth } from './truth.js';

export function traceJob(history: History, truth: Truth, jobId: string, t0: number): string[] {
  const lines: { at: number; text: string }[] = [];
  const add = (at: number, text: string) => lines.push({ at, text });
  for (const op of history.ops) {
    if (op.kind === 'create' && op.result.ok && op.result.jobId === jobId) {
      add(op.start, `create ${op.purpose} ${op.key} → 201 (answered +${op.end - t0})`);
    } else if (op.kind !== 'create' && op.jobId === jobId) {
      const outcome = op.kind === 'wait' ? JSON.stringify(op.outcome) : op.outcome;
      add(
        op.start,
        `${op.kind}${op.kind === 'wait' ? ` ${op.strategy}` : ''} → ${outcome} (ended +${op.end - t0})`,
      );
    }
  }
  for (const e of history.exchanges) {
    if (e.path.includes(jobId) && !e.path.includes('?ids=')) {
      add(e.start, `${e.client} ${e.method} ${e.path} → ${e.status ?? e.error} (+${e.end - t0})`);
    }
  }
  for (const o of history.observations) {
    if (o.jobId === jobId)
      add(o.start, `seen ${o.status} (${o.kind}) via ${o.source} by ${o.tenant} (+${o.end - t0})`);
  }
  for (const s of history.sessions) {
    for (const e of s.events) {
      if (e.jobId === jobId)
        add(e.receivedAt, `${s.reader} got ${e.id} ${e.type} (event at +${e.eventAt - t0})`);
    }
  }
  for (const a of history.arrivals) {
    if (a.jobId === jobId)
      add(a.at, `webhook ${a.webhookId} ${a.type} answered ${a.answered}${a.late ? ' late' : ''}`);
  }
  for (const f of history.faults) {
    add(f.start, `FAULT ${f.kind} ${f.target} (${f.detail}; back +${f.end - t0})`);
  }
  for (const e of [...truth.events.values()].flat()) {
    if (e.jobId === jobId) add(e.at, `log ${e.id} ${e.type} ${e.status}`);
  }
  const final = truth.final.get(jobId);
  const job = final === 'missing' ? undefined : final;
  const first = Math.min(...lines.filter((l) => !l.text.startsWith('FAULT')).map((l) => l.at));
  const last = Math.max(...lines.filter((l) => !l.text.startsWith('FAULT')).map((l) => l.at));
  return [
    `${jobId}: final ${job ? `${job.status}, created +${Date.parse(job.created_at) - t0}, ended +${job.completed_at ? Date.parse(job.completed_at) - t0 : '–'}` : 'missing'}`,
    ...lines
      .filter((l) => !l.text.startsWith('FAULT') || (l.at >= first - 10_000 && l.at <= last + 1000))
      .sort((a, b) => a.at - b.at)
      .map((l) => `  +${l.at - t0} ${l.text}`),
  ];
}
