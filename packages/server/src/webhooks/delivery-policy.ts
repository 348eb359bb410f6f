/**
 * Which written events become webhook deliveries. Every store calls `webhookDeliveryFor` inside
 * the same atomic step that writes the event (`emitSteps`, `cancelJob`), so a delivery is never
 * lost between the event and its queueing.
 */
import type { JobRecord } from '../sim/job-model.js';
import type { EventType, NewDelivery, NewEvent } from '../store/types.js';

/** What a job with a `callback_url` and no `callback_events` is told about. */
export const DEFAULT_CALLBACK_EVENTS: readonly EventType[] = [
  'job.completed',
  'job.failed',
  'job.canceled',
];

/** The delivery id (and `webhook-id` header): one per job and lifecycle step, stable across retries. */
export function deliveryId(jobId: string, step: number): string {
  return `msg_${jobId}_${step}`;
}

/**
 * The delivery to queue for an event written at lifecycle `step`, or `null` when the job has no
 * `callback_url` or its `callback_events` do not list the event's type. The body is serialized
 * here, once, so every attempt sends the same bytes.
 */
export function webhookDeliveryFor(
  record: Pick<JobRecord, 'callbackUrl' | 'callbackEvents'>,
  event: NewEvent,
  step: number,
): NewDelivery | null {
  if (record.callbackUrl === null) return null;
  const wanted = record.callbackEvents ?? DEFAULT_CALLBACK_EVENTS;
  if (!wanted.includes(event.type)) return null;
  return {
    id: deliveryId(event.jobId, step),
    tenant: event.tenant,
    jobId: event.jobId,
    eventType: event.type,
    url: record.callbackUrl,
    body: JSON.stringify({
      type: event.type,
      timestamp: new Date(event.at).toISOString(),
      data: event.data,
    }),
    createdAt: event.at,
  };
}
