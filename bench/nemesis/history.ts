/**
 * The history of a run: every operation a client issued and what it got back (or how it failed),
 * every HTTP exchange underneath, every event a `/v1/events` reader received, every webhook that
 * reached the receiver, and every fault the nemesis injected — each with wall-clock instants
 * (`Date.now()`, the clock the servers on this machine use too). The checker reads only this and
 * the final state read back through the API: behaviour, never a store's internals.
 */

/**
 * A job's status as a client saw it; `finished` = completed or failed (a cancel answered 409);
 * `missing` = the tenant's own job answered 404 (or listed in a batch's `not_found`).
 */
export type SeenStatus = 'pending' | 'completed' | 'error' | 'canceled' | 'finished' | 'missing';

/**
 * One sighting of a job. A `read` is the job's state at some instant between `start` (the request
 * was sent) and `end` (its answer arrived); a `record` (an event, a webhook) tells what the state
 * was when it was written, whenever it arrives, so only its terminal status counts.
 */
export interface Observation {
  tenant: string;
  jobId: string;
  status: SeenStatus;
  kind: 'read' | 'record';
  start: number;
  end: number;
  source: string;
}

/** One HTTP request sent through a recording `fetch`. */
export interface Exchange {
  client: string;
  tenant: string;
  method: string;
  /** Path and query, e.g. `/v1/jobs?ids=…`. */
  path: string;
  start: number;
  end: number;
  /** The HTTP status, or `null` when no answer came (refused, reset, timed out, aborted). */
  status: number | null;
  error?: string;
}

export type CreateResult =
  | { ok: true; jobId: string; replayed: boolean }
  | { ok: false; error: string; status?: number; code?: string };

/** `first`: a new key; `retry`: a key whose earlier create failed; `replay`: a key that got a job, sent again; `reuse`: a key sent again with another body (422 expected). */
export type CreatePurpose = 'first' | 'retry' | 'replay' | 'reuse';

export interface CreateOp {
  kind: 'create';
  tenant: string;
  key: string;
  /** Identifies the body: the same key with the same body must name the same job. */
  bodyTag: string;
  purpose: CreatePurpose;
  start: number;
  end: number;
  result: CreateResult;
}

/** How a `waitForJob` ended: the job's outcome, or the error's class name. */
export type WaitOutcome =
  | { kind: 'completed' | 'error' | 'canceled'; finalStatus: string }
  | { kind: 'typed-error'; name: string; message: string }
  | { kind: 'untyped-error'; message: string }
  | { kind: 'unsettled' };

export interface WaitOp {
  kind: 'wait';
  tenant: string;
  jobId: string;
  strategy: string;
  start: number;
  end: number;
  outcome: WaitOutcome;
}

export interface CancelOp {
  kind: 'cancel';
  tenant: string;
  jobId: string;
  start: number;
  end: number;
  /** `canceled` (200), `conflict` (409: it had finished), or an error class name. */
  outcome: string;
}

/** Another tenant's job asked for: only a 404 is right. */
export interface ProbeOp {
  kind: 'probe';
  tenant: string;
  jobId: string;
  owner: string;
  action: 'get' | 'cancel';
  start: number;
  end: number;
  /** `not-found`, `leaked` (an answer with the job), or an error class name. */
  outcome: string;
}

export type Op = CreateOp | WaitOp | CancelOp | ProbeOp;

/** One event a `/v1/events` reader received. */
export interface ReceivedEvent {
  id: string;
  type: string;
  jobId: string;
  status: string;
  /** The job's `updated_at` in the event. */
  eventAt: number;
  receivedAt: number;
}

/** One connection of a `/v1/events` reader, from request to end. */
export interface EventSession {
  reader: string;
  tenant: string;
  /** The `Last-Event-ID` it was opened with. */
  lastEventId: string | undefined;
  start: number;
  end: number;
  status: number | null;
  events: ReceivedEvent[];
  /** `closed` (the reader hung up on purpose), `ended` (the server did), or the error. */
  endReason: string;
}

/** One POST that reached the webhook receiver. */
export interface WebhookArrival {
  at: number;
  /** The tenant named by the receiver path the job's `callback_url` pointed at. */
  tenant: string;
  webhookId: string;
  signatureOk: boolean;
  type: string;
  jobId: string;
  status: string;
  stage: string | null;
  /** The body's `timestamp` (the event's instant). */
  eventTimestamp: string;
  bodyHash: string;
  /** What the receiver answered (it fails some attempts on purpose). */
  answered: number;
  /** Answered only after the senders' timeout: the sender saw no answer. */
  late: boolean;
}

export type FaultKind =
  'instance-kill' | 'instance-pause' | 'redis-pause' | 'redis-kill' | 'nginx-reload';

/** A fault as injected: from the signal until the process was back (a reload: one instant). */
export interface FaultRecord {
  kind: FaultKind;
  target: string;
  start: number;
  end: number;
  detail: string;
}

export class History {
  readonly ops: Op[] = [];
  readonly exchanges: Exchange[] = [];
  readonly observations: Observation[] = [];
  readonly sessions: EventSession[] = [];
  readonly arrivals: WebhookArrival[] = [];
  readonly faults: FaultRecord[] = [];
  /** Which tenant created each job (from its 201). */
  readonly owner = new Map<string, string>();
  /** The event types each job with a `callback_url` asked for. */
  readonly callbacks = new Map<string, readonly string[]>();

  op<T extends Op>(op: T): T {
    this.ops.push(op);
    if (op.kind === 'create' && op.result.ok) this.owner.set(op.result.jobId, op.tenant);
    return op;
  }

  observe(observation: Observation): void {
    this.observations.push(observation);
  }

  /** Counts of operations by kind and outcome, for the report. */
  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    const add = (key: string) => (counts[key] = (counts[key] ?? 0) + 1);
    for (const op of this.ops) {
      if (op.kind === 'create') {
        const r = op.result;
        add(
          r.ok
            ? `create ${op.purpose} ok`
            : `create ${op.purpose} failed: ${[r.error, r.status, r.code].filter(Boolean).join(' ')}`,
        );
      } else if (op.kind === 'wait') add(`wait ${op.outcome.kind}`);
      else if (op.kind === 'cancel') add(`cancel ${op.outcome}`);
      else add(`probe ${op.action} ${op.outcome}`);
    }
    counts['http exchanges'] = this.exchanges.length;
    for (const e of this.exchanges) {
      const route = e.path.replace(/job_\w+/g, '{id}').replace(/\?ids=.*$/, '?ids=…');
      add(
        `http ${e.method} ${route.split('?wait')[0]}${e.client.endsWith('/bulk') ? ' (burst client)' : ''}`,
      );
    }
    for (const e of this.exchanges) {
      if (e.status !== null) {
        if (e.status >= 500) add(`http ${e.status}`);
      } else if (e.error?.startsWith('AbortError')) add('http abandoned by the client');
      else if (e.error?.startsWith('TimeoutError')) add('http timed out (client side)');
      else add('http no answer (refused, reset)');
    }
    counts['event sessions'] = this.sessions.length;
    counts['events received'] = this.sessions.reduce((n, s) => n + s.events.length, 0);
    counts['webhook arrivals'] = this.arrivals.length;
    return counts;
  }
}

/** Items grouped by a key, in their order. */
export function groupBy<T>(items: Iterable<T>, keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
