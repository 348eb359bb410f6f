/** What the checker reports: anomalies by kind, and how much of each property it looked at. */

export const ANOMALY_KINDS = {
  'lost-create':
    'a create answered 201 whose job is gone (404, not listed, or no job.created event)',
  'acked-job-missing': "a tenant's own job, acknowledged before, read as 404 / not_found",
  'idempotency-split': 'one Idempotency-Key gave two different jobs',
  'idempotency-reuse-accepted': 'a key sent again with another body got a 201 instead of 422',
  'create-unresolved': 'a create never got an answer, even sent again after the faults',
  'wrong-wait': "a waitForJob ended with another outcome than the job's final state",
  'wait-untyped-error': 'a waitForJob rejected with an error the client does not document',
  'wait-unsettled': 'a waitForJob still running long after its job ended',
  'terminal-flip': 'a job seen in two different terminal states (or one its final state denies)',
  'stale-read': 'a job read as pending by a request sent after another had read it as ended',
  'job-never-ended': 'a job still pending long after its finish instant',
  'event-log': "the tenant's event log itself: order, duplicates, created/terminal events",
  'event-log-vs-stream': "the API's replay of the event log differs from the Redis Stream",
  'event-order': 'a /v1/events reader got ids that do not increase (duplicate or backwards)',
  'event-gap': 'a /v1/events reader missed events between two it got (across reconnects too)',
  'event-unknown':
    'a /v1/events reader got an event the log does not have (or another one under its id)',
  'event-reader-behind': 'a /v1/events reader never caught up with the log',
  'webhook-missing': 'an event a job asked to be called for never reached the receiver with a 2xx',
  'webhook-unknown-event': 'a webhook for an event the log does not have',
  'webhook-id-unstable':
    'one event under several webhook-ids, or one webhook-id with several bodies',
  'webhook-bad-signature': 'a webhook whose signature does not verify with the tenant secret',
  'webhook-double-send':
    'more sends of a delivery than attempts recorded, with no crash to explain it',
  'webhook-attempt-unseen': 'a recorded attempt that never reached the receiver',
  'tenant-leak': "a tenant saw another tenant's job",
} as const;

export type AnomalyKind = keyof typeof ANOMALY_KINDS;

export interface Anomaly {
  kind: AnomalyKind;
  detail: string;
  jobId?: string;
}

export interface Verdict {
  anomalies: Anomaly[];
  byKind: Partial<Record<AnomalyKind, number>>;
  /** What was checked, e.g. `acknowledged creates: 812`. */
  checked: Record<string, number>;
  /** Outcomes the properties allow but a reader should know of (documented errors). */
  notes: string[];
}

export class Findings {
  readonly anomalies: Anomaly[] = [];
  readonly checked: Record<string, number> = {};
  readonly notes: string[] = [];

  add(kind: AnomalyKind, detail: string, jobId?: string): void {
    this.anomalies.push(jobId === undefined ? { kind, detail } : { kind, detail, jobId });
  }

  count(what: string, n: number): void {
    this.checked[what] = (this.checked[what] ?? 0) + n;
  }

  verdict(): Verdict {
    const byKind: Partial<Record<AnomalyKind, number>> = {};
    for (const a of this.anomalies) byKind[a.kind] = (byKind[a.kind] ?? 0) + 1;
    return { anomalies: this.anomalies, byKind, checked: this.checked, notes: this.notes };
  }
}
