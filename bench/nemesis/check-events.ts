/**
 * The event properties. The log (each tenant's `/v1/events` replayed from the start at the end):
 * ids strictly increasing, one `job.created` per acknowledged job, exactly one terminal event per
 * ended job and of its final kind; for Redis, the same ids as the tenant's stream. Each reader,
 * across all its reconnects: ids strictly increasing, no duplicate, nothing the log lacks, and no
 * gap — between two events it received, the log holds nothing it did not receive.
 */
import type { Findings } from './anomalies.js';
import { groupBy, type EventSession, type History, type ReceivedEvent } from './history.js';
import type { LoggedEvent, Truth } from './truth.js';

/** Orders `<ms>-<seq>` ids; malformed ones first. */
export function compareIds(a: string, b: string): number {
  const pa = /^(\d+)-(\d+)$/.exec(a);
  const pb = /^(\d+)-(\d+)$/.exec(b);
  const [am, as] = pa ? [Number(pa[1]), Number(pa[2])] : [-1, -1];
  const [bm, bs] = pb ? [Number(pb[1]), Number(pb[2])] : [-1, -1];
  return am - bm || as - bs;
}

const TERMINAL_EVENT: Record<string, string> = {
  completed: 'job.completed',
  error: 'job.failed',
  canceled: 'job.canceled',
};

function checkLog(tenant: string, log: readonly LoggedEvent[], truth: Truth, f: Findings): void {
  for (let i = 1; i < log.length; i++) {
    if (compareIds(log[i - 1]!.id, log[i]!.id) >= 0) {
      f.add('event-log', `${tenant}: log id ${log[i]!.id} follows ${log[i - 1]!.id}`);
    }
  }
  const byJob = groupBy(log, (e) => e.jobId);
  for (const [jobId, { tenant: owner, job }] of truth.listed) {
    if (owner !== tenant) continue;
    const events = byJob.get(jobId) ?? [];
    const created = events.filter((e) => e.type === 'job.created').length;
    if (created !== 1) f.add('event-log', `${jobId}: ${created} job.created events`, jobId);
    const terminal = events.filter((e) => Object.values(TERMINAL_EVENT).includes(e.type));
    const expected = TERMINAL_EVENT[job.status];
    if (expected === undefined) continue;
    if (terminal.length !== 1) {
      f.add('event-log', `${jobId} (${job.status}): ${terminal.length} terminal events`, jobId);
    } else if (terminal[0]!.type !== expected) {
      f.add('event-log', `${jobId} is ${job.status} but its log says ${terminal[0]!.type}`, jobId);
    }
  }
  const stream = truth.streamIds?.get(tenant);
  if (stream) {
    const api = log.map((e) => e.id);
    const differs = api.length !== stream.length || api.some((id, i) => id !== stream[i]);
    if (differs) {
      const at = api.findIndex((id, i) => id !== stream[i]);
      f.add(
        'event-log-vs-stream',
        `${tenant}: the API replays ${api.length} events, the stream holds ${stream.length}; first difference at #${at}`,
      );
    }
  }
}

/** Every event one reader received, in the order received, with the session each came in. */
function readerSequence(sessions: readonly EventSession[]): { e: ReceivedEvent; s: number }[] {
  return sessions.flatMap((session, s) => session.events.map((e) => ({ e, s })));
}

function checkReader(
  reader: string,
  sessions: readonly EventSession[],
  log: readonly LoggedEvent[],
  f: Findings,
): void {
  const index = new Map(log.map((e, i) => [e.id, i]));
  const seq = readerSequence(sessions);
  // Where the reader stood: the last event it received, its session and its place in the log. A
  // reader that starts from `0-0` stands before the log's first event.
  let previous: { id: string; s: number; i: number } | undefined =
    sessions[0]?.lastEventId === '0-0' ? { id: 'the start', s: 0, i: -1 } : undefined;
  for (const { e, s } of seq) {
    const i = index.get(e.id);
    const logged = i === undefined ? undefined : log[i];
    if (i === undefined || logged?.jobId !== e.jobId || logged.type !== e.type) {
      const has = logged ? `as ${logged.type} ${logged.jobId}` : 'not';
      f.add(
        'event-unknown',
        `${reader} got ${e.id} (${e.type} ${e.jobId}); the log has it ${has}`,
        e.jobId,
      );
      continue;
    }
    if (previous && i <= previous.i) {
      f.add('event-order', `${reader} got ${e.id} after ${previous.id} (session ${s})`, e.jobId);
      continue;
    }
    if (previous && i > previous.i + 1) {
      const missed = log.slice(previous.i + 1, i);
      const where =
        previous.s === s ? `within session ${s}` : `across reconnect ${previous.s}→${s}`;
      const sample = missed.slice(0, 3).map((m) => `${m.id} ${m.type} ${m.jobId}`);
      f.add(
        'event-gap',
        `${reader} missed ${missed.length} events ${where} between ${previous.id} and ${e.id}: ${sample.join(', ')}`,
      );
    }
    previous = { id: e.id, s, i };
  }
  const last = seq[seq.length - 1];
  const tail = log[log.length - 1];
  if (tail && last && compareIds(last.e.id, tail.id) < 0) {
    f.add('event-reader-behind', `${reader} stopped at ${last.e.id}; the log ends at ${tail.id}`);
  }
}

export function checkEvents(history: History, truth: Truth, f: Findings): void {
  for (const [tenant, log] of truth.events) {
    f.count('events in the logs', log.length);
    checkLog(tenant, log, truth, f);
    const own = history.sessions.filter((s) => s.tenant === tenant);
    const readers = groupBy(own, (s) => s.reader);
    for (const [reader, sessions] of readers) {
      f.count('event reader sessions', sessions.length);
      f.count(
        'events received by readers',
        sessions.reduce((n, s) => n + s.events.length, 0),
      );
      checkReader(reader, sessions, log, f);
    }
  }
}
