/**
 * A hand-made history for the checker's tests: two jobs of acme (a completed one with a webhook
 * retried once, a canceled one), one of globex; every client saw what happened, and a reader read
 * acme's log across a reconnect. Each test plants one anomaly in a fresh copy.
 */
import type { Job } from '@vtrans/client';
import { History, type EventSession, type WebhookArrival } from './history.js';
import type { LoggedEvent, Truth } from './truth.js';

export const T0 = 1_700_000_000_000;

export function job(id: string, status: string, endedAt: number | null = null): Job {
  return {
    id,
    status,
    progress: status === 'completed' ? 1 : 0,
    stage: status === 'pending' ? 'queued' : null,
    source_url: `https://example.com/nemesis/key-${id}.mp4`,
    target_language: 'es',
    created_at: new Date(T0).toISOString(),
    updated_at: new Date(endedAt ?? T0).toISOString(),
    eta: null,
    completed_at: endedAt === null ? null : new Date(endedAt).toISOString(),
    error: null,
    result: null,
    version: status === 'pending' ? 1 : 2,
  };
}

export const event = (
  id: string,
  type: string,
  jobId: string,
  status: string,
  at: number,
): LoggedEvent => ({
  id,
  type,
  jobId,
  status,
  stage: status === 'pending' ? 'queued' : null,
  at,
});

/**
 * Two jobs of acme (a completed one with a webhook, a canceled one), one of globex; every client
 * saw what happened, a reader read acme's log across a reconnect.
 */
export function cleanRun(): { history: History; truth: Truth } {
  const h = new History();
  const create = (tenant: string, key: string, jobId: string, start: number) =>
    h.op({
      kind: 'create',
      tenant,
      key,
      bodyTag: key,
      purpose: 'first',
      start,
      end: start + 5,
      result: { ok: true, jobId, replayed: false },
    });
  create('acme', 'key-a1', 'a1', T0);
  create('acme', 'key-a2', 'a2', T0 + 10);
  create('globex', 'key-g1', 'g1', T0 + 20);
  h.callbacks.set('a1', ['job.completed', 'job.failed', 'job.canceled']);
  h.op({
    kind: 'wait',
    tenant: 'acme',
    jobId: 'a1',
    strategy: 'auto',
    start: T0 + 5,
    end: T0 + 1010,
    outcome: { kind: 'completed', finalStatus: 'completed' },
  });
  h.op({
    kind: 'wait',
    tenant: 'acme',
    jobId: 'a2',
    strategy: 'sse',
    start: T0 + 15,
    end: T0 + 510,
    outcome: { kind: 'canceled', finalStatus: 'canceled' },
  });
  h.op({
    kind: 'cancel',
    tenant: 'acme',
    jobId: 'a2',
    start: T0 + 500,
    end: T0 + 505,
    outcome: 'canceled',
  });
  h.op({
    kind: 'probe',
    tenant: 'globex',
    jobId: 'a1',
    owner: 'acme',
    action: 'get',
    start: T0 + 600,
    end: T0 + 601,
    outcome: 'not-found',
  });
  const read = (
    jobId: string,
    tenant: string,
    status: 'pending' | 'completed' | 'canceled',
    start: number,
  ) =>
    h.observe({
      tenant,
      jobId,
      status,
      kind: 'read',
      start,
      end: start + 2,
      source: 'GET /v1/jobs/{id}',
    });
  read('a1', 'acme', 'pending', T0 + 100);
  read('a1', 'acme', 'completed', T0 + 1100);
  read('a2', 'acme', 'canceled', T0 + 700);
  read('g1', 'globex', 'completed', T0 + 2100);
  const log: LoggedEvent[] = [
    event(`${T0}-0`, 'job.created', 'a1', 'pending', T0),
    event(`${T0 + 10}-0`, 'job.created', 'a2', 'pending', T0 + 10),
    event(`${T0 + 503}-0`, 'job.canceled', 'a2', 'canceled', T0 + 503),
    event(`${T0 + 1000}-0`, 'job.completed', 'a1', 'completed', T0 + 1000),
  ];
  const globexLog = [
    event(`${T0 + 20}-0`, 'job.created', 'g1', 'pending', T0 + 20),
    event(`${T0 + 2000}-0`, 'job.completed', 'g1', 'completed', T0 + 2000),
  ];
  const received = (e: LoggedEvent) => ({
    id: e.id,
    type: e.type,
    jobId: e.jobId,
    status: e.status,
    eventAt: e.at,
    receivedAt: e.at + 3,
  });
  const session = (lastEventId: string | undefined, events: LoggedEvent[]): EventSession => ({
    reader: 'acme/events-replay',
    tenant: 'acme',
    lastEventId,
    start: T0,
    end: T0 + 2000,
    status: 200,
    events: events.map(received),
    endReason: 'closed',
  });
  h.sessions.push(session('0-0', log.slice(0, 2)), session(log[1]!.id, log.slice(2)));
  h.arrivals.push(
    arrival('msg_a1_6', 'a1', T0 + 1003, 500),
    arrival('msg_a1_6', 'a1', T0 + 1210, 204),
  );
  const truth: Truth = {
    listed: new Map([
      ['a1', { tenant: 'acme', job: job('a1', 'completed', T0 + 1000) }],
      ['a2', { tenant: 'acme', job: job('a2', 'canceled', T0 + 503) }],
      ['g1', { tenant: 'globex', job: job('g1', 'completed', T0 + 2000) }],
    ]),
    final: new Map([
      ['a1', job('a1', 'completed', T0 + 1000)],
      ['a2', job('a2', 'canceled', T0 + 503)],
      ['g1', job('g1', 'completed', T0 + 2000)],
    ]),
    events: new Map([
      ['acme', log],
      ['globex', globexLog],
    ]),
    streamIds: new Map([
      ['acme', log.map((e) => e.id)],
      ['globex', globexLog.map((e) => e.id)],
    ]),
    deliveries: new Map([
      [
        'a1',
        [
          {
            id: 'msg_a1_6',
            event_type: 'job.completed',
            state: 'succeeded',
            attempts: 2,
            history: [
              { attempt: 1, at: '', status_code: 500, error: null },
              { attempt: 2, at: '', status_code: 204, error: null },
            ],
          },
        ],
      ],
    ]),
  };
  return { history: h, truth };
}

export function arrival(
  webhookId: string,
  jobId: string,
  at: number,
  answered: number,
): WebhookArrival {
  return {
    at,
    tenant: 'acme',
    webhookId,
    signatureOk: true,
    type: 'job.completed',
    jobId,
    status: 'completed',
    stage: null,
    eventTimestamp: new Date(T0 + 1000).toISOString(),
    bodyHash: `body-of-${webhookId}`,
    answered,
    late: false,
  };
}
