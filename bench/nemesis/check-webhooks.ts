/**
 * The webhook properties: every event a job asked to be called for (per its `callback_events`, as
 * the event log shows it happened) reached the receiver with a 2xx at least once; all sends of one
 * event carry one `webhook-id` and one body, signed with the tenant's secret; and no attempt was
 * sent twice — more sends than the attempts the deployment recorded are allowed only where a
 * process on the send's path (the instance, or Redis) was killed between a send and its recording
 * (a crash between sending and recording: the documented exception).
 */
import type { Findings } from './anomalies.js';
import { groupBy, type FaultRecord, type History } from './history.js';
import type { Truth } from './truth.js';

const keyOf = (jobId: string, type: string, stage: string | null) =>
  `${jobId}|${type}|${stage ?? ''}`;

/**
 * Around a send, the window in which a crash leaves it unrecorded: the attempt began before the
 * send arrived (the sender resolved and connected) and is recorded just after the answer.
 */
const SEND_BEGAN_BEFORE_MS = 2000;
const RECORDED_WITHIN_MS = 3000;

/**
 * Whether a process on the send's path — the instance, or Redis where it is recorded — was killed
 * between the send and its recording (an instance dies at once; Redis stays down a while).
 */
function crashedAround(faults: readonly FaultRecord[], sentAt: number, nextAt: number): boolean {
  return faults.some(
    (f) =>
      (f.kind === 'instance-kill' || f.kind === 'redis-kill') &&
      f.start <= Math.min(nextAt, sentAt + RECORDED_WITHIN_MS) &&
      (f.kind === 'redis-kill' ? f.end : f.start) >= sentAt - SEND_BEGAN_BEFORE_MS,
  );
}

export function checkWebhooks(history: History, truth: Truth, f: Findings): void {
  const expected = new Set<string>();
  for (const [jobId, wanted] of history.callbacks) {
    const tenant = history.owner.get(jobId);
    for (const e of (tenant && truth.events.get(tenant)) || []) {
      if (e.jobId === jobId && wanted.includes(e.type)) expected.add(keyOf(jobId, e.type, e.stage));
    }
  }
  f.count('webhook events expected', expected.size);
  f.count('webhook arrivals', history.arrivals.length);
  for (const a of history.arrivals) {
    if (!a.signatureOk)
      f.add('webhook-bad-signature', `${a.webhookId} (${a.type} ${a.jobId})`, a.jobId);
  }
  const byKey = groupBy(history.arrivals, (a) => keyOf(a.jobId, a.type, a.stage));
  const byId = groupBy(history.arrivals, (a) => a.webhookId);
  for (const key of expected) {
    const arrivals = byKey.get(key) ?? [];
    if (!arrivals.some((a) => a.answered >= 200 && a.answered < 300 && !a.late)) {
      f.add(
        'webhook-missing',
        `${key}: ${arrivals.length} arrivals, none answered 2xx in time`,
        key.split('|')[0],
      );
    }
  }
  for (const [key, arrivals] of byKey) {
    if (!expected.has(key)) {
      f.add(
        'webhook-unknown-event',
        `${key} arrived ${arrivals.length}× but is not in the log`,
        arrivals[0]!.jobId,
      );
    }
    const ids = new Set(arrivals.map((a) => a.webhookId));
    if (ids.size > 1)
      f.add('webhook-id-unstable', `${key} came as ${[...ids].join(', ')}`, arrivals[0]!.jobId);
  }
  let resends = 0;
  for (const [id, arrivals] of byId) {
    if (new Set(arrivals.map((a) => a.bodyHash)).size > 1) {
      f.add(
        'webhook-id-unstable',
        `${id} came with ${arrivals.length} different bodies`,
        arrivals[0]!.jobId,
      );
    }
    const delivery = truth.deliveries.get(arrivals[0]!.jobId)?.find((d) => d.id === id);
    const recorded = delivery?.history.length ?? 0;
    const answered = delivery?.history.filter((h) => h.status_code !== null).length ?? 0;
    if (arrivals.length < answered) {
      f.add(
        'webhook-attempt-unseen',
        `${id}: ${answered} answered attempts recorded, ${arrivals.length} arrived`,
        arrivals[0]!.jobId,
      );
    }
    const extra = arrivals.length - recorded;
    if (extra <= 0) continue;
    const sorted = [...arrivals].sort((a, b) => a.at - b.at);
    let explained = 0;
    for (let i = 1; i < sorted.length; i++) {
      if (crashedAround(history.faults, sorted[i - 1]!.at, sorted[i]!.at)) explained++;
    }
    if (extra > explained) {
      const times = sorted.map((a) => a.at - sorted[0]!.at).join(', ');
      f.add(
        'webhook-double-send',
        `${id}: ${arrivals.length} sends (at +${times} ms), ${recorded} attempts recorded, ${explained} explained by a kill`,
        arrivals[0]!.jobId,
      );
    } else {
      resends += extra;
    }
  }
  if (resends > 0) {
    f.notes.push(
      `${resends} webhook resends after a crash between sending and recording (documented)`,
    );
  }
}
