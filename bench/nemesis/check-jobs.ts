/**
 * The job properties: acknowledged creates survive; one job per idempotency key; waits end with
 * the job's real fate; a terminal state never changes, and nothing reads a job as pending after
 * someone read it as ended; no tenant sees another's job.
 */
import type { Findings } from './anomalies.js';
import { groupBy, type CreateOp, type History, type Observation } from './history.js';
import type { Truth } from './truth.js';

const KEY_IN_SOURCE = /\/nemesis\/([\w-]+)\.mp4$/;

function finalStatus(truth: Truth, jobId: string): string | undefined {
  const job = truth.final.get(jobId) ?? truth.listed.get(jobId)?.job;
  return job === undefined || job === 'missing' ? undefined : job.status;
}

/** Whether two sightings of terminal states contradict each other. */
function contradicts(a: string, b: string): boolean {
  if (a === b) return false;
  const finishedLike = (s: string) => s === 'completed' || s === 'error' || s === 'finished';
  if (finishedLike(a) && finishedLike(b)) return a !== 'finished' && b !== 'finished';
  return true;
}

const isTerminal = (s: string) =>
  s === 'completed' || s === 'error' || s === 'canceled' || s === 'finished';

function describe(o: Observation, t0: number): string {
  return `${o.status} via ${o.source} at +${o.start - t0}..${o.end - t0} ms`;
}

export function checkCreates(history: History, truth: Truth, f: Findings): void {
  const creates = history.ops.filter((o): o is CreateOp => o.kind === 'create');
  const acked = creates.filter((c) => c.result.ok && c.purpose !== 'reuse');
  f.count('creates acknowledged (201)', acked.length);
  const createdEvents = new Set<string>();
  for (const events of truth.events.values()) {
    for (const e of events) if (e.type === 'job.created') createdEvents.add(e.jobId);
  }
  const byKey = new Map<string, Set<string>>();
  for (const c of acked) {
    if (!c.result.ok) continue;
    const id = c.result.jobId;
    const key = `${c.tenant}:${c.key}`;
    byKey.set(key, (byKey.get(key) ?? new Set()).add(id));
    const final = truth.final.get(id);
    if (final === undefined || final === 'missing') {
      f.add('lost-create', `${key} got 201 for ${id}, which reads 404 at the end`, id);
    } else if (truth.listed.get(id)?.tenant !== c.tenant) {
      f.add('lost-create', `${key} got 201 for ${id}, which ${c.tenant}'s listing lacks`, id);
    } else if (!createdEvents.has(id)) {
      f.add('lost-create', `${key} got 201 for ${id}, which has no job.created event`, id);
    }
  }
  f.count('idempotency keys answered', byKey.size);
  for (const [key, ids] of byKey) {
    if (ids.size > 1) f.add('idempotency-split', `${key} answered with ${[...ids].join(', ')}`);
  }
  // The listing must hold at most one job per key, whatever the clients were told.
  const listedByKey = new Map<string, string[]>();
  for (const [id, { tenant, job }] of truth.listed) {
    const key = job.source_url ? KEY_IN_SOURCE.exec(job.source_url)?.[1] : undefined;
    if (key === undefined) continue;
    const k = `${tenant}:${key}`;
    listedByKey.set(k, [...(listedByKey.get(k) ?? []), id]);
  }
  for (const [key, ids] of listedByKey) {
    if (ids.length > 1)
      f.add('idempotency-split', `${key} names ${ids.length} listed jobs: ${ids.join(', ')}`);
  }
  const reuses = creates.filter((c) => c.purpose === 'reuse');
  f.count('keys reused with another body', reuses.length);
  for (const r of reuses) {
    if (r.result.ok) {
      f.add(
        'idempotency-reuse-accepted',
        `${r.tenant}:${r.key} with another body got 201 (${r.result.jobId})`,
      );
    }
  }
}

export function checkUnresolved(unresolvedKeys: readonly string[], f: Findings): void {
  for (const key of unresolvedKeys) f.add('create-unresolved', `${key} never got an answer`);
}

export function checkWaits(history: History, truth: Truth, f: Findings): void {
  const documented = new Map<string, number>();
  let waits = 0;
  for (const op of history.ops) {
    if (op.kind !== 'wait') continue;
    waits++;
    const final = finalStatus(truth, op.jobId);
    const o = op.outcome;
    if (o.kind === 'completed' || o.kind === 'error' || o.kind === 'canceled') {
      if (final !== o.kind || o.finalStatus !== o.kind) {
        f.add(
          'wrong-wait',
          `wait (${op.strategy}) on ${op.jobId} ended ${o.kind}; the job is ${final}`,
          op.jobId,
        );
      }
    } else if (o.kind === 'typed-error') {
      documented.set(o.name, (documented.get(o.name) ?? 0) + 1);
    } else if (o.kind === 'untyped-error') {
      f.add('wait-untyped-error', `wait (${op.strategy}) on ${op.jobId}: ${o.message}`, op.jobId);
    } else {
      f.add(
        'wait-unsettled',
        `wait (${op.strategy}) on ${op.jobId} had not ended (job ${final})`,
        op.jobId,
      );
    }
  }
  f.count('waits', waits);
  for (const [name, n] of documented) f.notes.push(`${n} waits ended with ${name} (documented)`);
}

export function checkObservations(history: History, truth: Truth, t0: number, f: Findings): void {
  const byJob = groupBy(history.observations, (o) => o.jobId);
  f.count('sightings of jobs', history.observations.length);
  const ackedAt = new Map<string, number>();
  for (const op of history.ops) {
    if (op.kind === 'create' && op.result.ok) {
      const id = op.result.jobId;
      ackedAt.set(id, Math.min(ackedAt.get(id) ?? Infinity, op.end));
    }
  }
  for (const [jobId, seen] of byJob) {
    const owner = history.owner.get(jobId) ?? truth.listed.get(jobId)?.tenant;
    const own = seen.filter((o) => owner === undefined || o.tenant === owner);
    const final = finalStatus(truth, jobId);
    // Every terminal sighting must agree with every other and with the final state.
    const terminal = own.filter((o) => isTerminal(o.status));
    const first = terminal[0];
    const clash = terminal.find((o) => first && contradicts(o.status, first.status));
    if (first && clash) {
      f.add(
        'terminal-flip',
        `${jobId}: ${describe(first, t0)}, then ${describe(clash, t0)}`,
        jobId,
      );
    } else if (first && final !== undefined && contradicts(first.status, final)) {
      f.add('terminal-flip', `${jobId}: ${describe(first, t0)}; final state ${final}`, jobId);
    }
    // Reads in real-time order: none sent after an answer that said "ended" may say "pending".
    const endedBy = own
      .filter((o) => o.kind === 'read' && isTerminal(o.status))
      .reduce<Observation | undefined>((a, o) => (a && a.end <= o.end ? a : o), undefined);
    const stale =
      endedBy &&
      own.find((o) => o.kind === 'read' && o.status === 'pending' && o.start > endedBy.end);
    if (endedBy && stale) {
      f.add('stale-read', `${jobId}: ${describe(endedBy, t0)}, then ${describe(stale, t0)}`, jobId);
    }
    const acked = ackedAt.get(jobId);
    const missing = own.find(
      (o) => o.status === 'missing' && acked !== undefined && o.start > acked,
    );
    if (missing) {
      f.add(
        'acked-job-missing',
        `${jobId} acknowledged at +${acked! - t0} ms: ${describe(missing, t0)}`,
        jobId,
      );
    }
    // A tenant never sees another tenant's job.
    const leak = owner && seen.find((o) => o.tenant !== owner && o.status !== 'missing');
    if (leak)
      f.add('tenant-leak', `${leak.tenant} saw ${owner}'s ${jobId}: ${describe(leak, t0)}`, jobId);
  }
  for (const [jobId, { tenant, job }] of truth.listed) {
    if (job.status === 'pending') f.add('job-never-ended', `${jobId} is pending at the end`, jobId);
    const owner = history.owner.get(jobId);
    if (owner !== undefined && owner !== tenant) {
      f.add('tenant-leak', `${tenant}'s listing holds ${owner}'s ${jobId}`, jobId);
    }
  }
  let probes = 0;
  for (const op of history.ops) {
    if (op.kind !== 'probe') continue;
    probes++;
    if (op.outcome === 'leaked') {
      f.add('tenant-leak', `${op.tenant} could ${op.action} ${op.owner}'s ${op.jobId}`, op.jobId);
    }
  }
  f.count("probes of the other tenant's jobs", probes);
}
