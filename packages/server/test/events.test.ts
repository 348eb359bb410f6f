import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB_STAGES } from '../src/sim/job-model.js';
import type { RunningServer } from '../src/server.js';
import { eventsOf, openSse, type SseConnection } from './helpers/sse.js';
import { buildTestApp, startTestServer } from './helpers/server.js';

interface JobBody {
  id: string;
  status: string;
  stage: string | null;
  version: number;
}

let srv: RunningServer;
const streams: SseConnection[] = [];
beforeAll(async () => {
  srv = await startTestServer({ sseHeartbeatMs: 40 });
});
afterAll(() => {
  for (const s of streams) s.close();
});

async function createJob(simulate: object) {
  const res = await fetch(`${srv.url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ simulate }),
  });
  return (await res.json()) as JobBody;
}

async function sse(path: string, headers: Record<string, string> = {}) {
  const conn = await openSse(`${srv.url}${path}`, headers);
  streams.push(conn);
  return conn;
}

const isTerminalEvent = (e: { event: string }) =>
  ['job.completed', 'job.failed', 'job.canceled'].includes(e.event);

describe('GET /v1/jobs/{id}/events', () => {
  it('streams each stage as job.updated with id = its step, the terminal event last with id 6, then ends', async () => {
    const job = await createJob({ duration_ms: 1000, outcome: 'completed' });
    const stream = await sse(`/v1/jobs/${job.id}/events`);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers.get('cache-control')).toBe('no-store');
    expect(stream.headers.get('x-accel-buffering')).toBe('no');
    expect(stream.headers.get('x-request-id')).toMatch(/^req_/);
    await stream.ended;
    const events = eventsOf(stream.items);
    const last = events.at(-1);
    expect(last).toMatchObject({
      id: '6',
      event: 'job.completed',
      data: { status: 'completed', version: 2 },
    });
    const updates = events.slice(0, -1);
    expect(updates.length, JSON.stringify(events)).toBeGreaterThan(1);
    for (const e of updates) {
      expect(e).toMatchObject({ event: 'job.updated', data: { status: 'pending', version: 1 } });
      // The id is the stage's step, so a reconnect can resume between stage changes.
      const stage = (e.data as JobBody).stage as (typeof JOB_STAGES)[number];
      expect(e.id).toBe(String(JOB_STAGES.indexOf(stage)));
    }
    // Stages arrive in order, each once: the ids strictly increase.
    const ids = events.map((e) => Number(e.id));
    expect(
      ids.every((v, i) => i === 0 || v > ids[i - 1]!),
      JSON.stringify(ids),
    ).toBe(true);
    expect(stream.items.filter((i) => i.kind === 'event' && isTerminalEvent(i))).toHaveLength(1);
  });

  it('sends a terminal job at once and ends', async () => {
    const job = await createJob({ duration_ms: 0, outcome: 'error' });
    const stream = await sse(`/v1/jobs/${job.id}/events`);
    await stream.ended;
    expect(eventsOf(stream.items).map((e) => [e.id, e.event])).toEqual([['6', 'job.failed']]);
  });

  it('ends with job.canceled when the job is canceled mid-stream', async () => {
    const job = await createJob({ duration_ms: 60_000 });
    const stream = await sse(`/v1/jobs/${job.id}/events`);
    await stream.until((items) => eventsOf(items).length === 1);
    await fetch(`${srv.url}/v1/jobs/${job.id}/cancel`, { method: 'POST' });
    await stream.ended;
    expect(eventsOf(stream.items).map((e) => [e.id, e.event])).toEqual([
      ['0', 'job.updated'],
      ['6', 'job.canceled'],
    ]);
  });

  it('answers an unknown job with a 404 problem, not a stream', async () => {
    const res = await fetch(`${srv.url}/v1/jobs/job_unknown/events`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(((await res.json()) as { code: string }).code).toBe('job_not_found');
  });

  it('sends heartbeat comments', async () => {
    const job = await createJob({ duration_ms: 60_000 });
    const stream = await sse(`/v1/jobs/${job.id}/events`);
    await stream.until(
      (items) => items.filter((i) => i.kind === 'comment' && i.text === 'heartbeat').length >= 2,
    );
    stream.close();
  });
});

describe('GET /v1/events', () => {
  it('streams job.created, job.updated and each kind of terminal event with time-ordered ids', async () => {
    const stream = await sse('/v1/events');
    await stream.until((items) =>
      items.some((i) => i.kind === 'comment' && i.text === 'connected'),
    );
    const done = await createJob({ duration_ms: 100, outcome: 'completed' });
    const failed = await createJob({ duration_ms: 100, outcome: 'error' });
    const canceled = await createJob({ duration_ms: 60_000 });
    await fetch(`${srv.url}/v1/jobs/${canceled.id}/cancel`, { method: 'POST' });
    const terminalOf = (id: string) => (items: typeof stream.items) =>
      eventsOf(items).some((e) => (e.data as JobBody).id === id && isTerminalEvent(e));
    await stream.until((items) => [done, failed, canceled].every((j) => terminalOf(j.id)(items)));
    const events = eventsOf(stream.items);
    const typesFor = (id: string) =>
      events.filter((e) => (e.data as JobBody).id === id).map((e) => e.event);
    expect(typesFor(done.id)[0]).toBe('job.created');
    expect(typesFor(done.id).at(-1)).toBe('job.completed');
    expect(typesFor(done.id)).toContain('job.updated');
    expect(typesFor(failed.id).at(-1)).toBe('job.failed');
    expect(typesFor(canceled.id)).toEqual(['job.created', 'job.canceled']);
    const ids = events.map((e) => e.id ?? '');
    for (const id of ids) expect(id).toMatch(/^\d{13}-\d+$/);
    const seqs = ids.map((id) => Number(id.split('-')[1]));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    stream.close();
  });

  it('resumes with Last-Event-ID exactly after the given id: no duplicates, no gaps', async () => {
    const first = await sse('/v1/events', { 'last-event-id': '0-0' });
    const jobs = await Promise.all([
      createJob({ duration_ms: 80 }),
      createJob({ duration_ms: 120 }),
      createJob({ duration_ms: 60_000 }),
    ]);
    const finished = (items: typeof first.items) =>
      jobs
        .slice(0, 2)
        .every((j) =>
          eventsOf(items).some((e) => (e.data as JobBody).id === j.id && isTerminalEvent(e)),
        );
    await first.until(finished);
    first.close();
    const all = eventsOf(first.items);
    expect(all.length).toBeGreaterThan(6);
    for (const cut of [0, 3, all.length - 2]) {
      const resumed = await sse('/v1/events', { 'last-event-id': all[cut]!.id! });
      const expected = all.slice(cut + 1).map((e) => e.id);
      await resumed.until((items) => eventsOf(items).length >= expected.length);
      expect(
        eventsOf(resumed.items)
          .slice(0, expected.length)
          .map((e) => e.id),
      ).toEqual(expected);
      resumed.close();
    }
  });

  it('replays nothing without Last-Event-ID and sends only what happens after connecting', async () => {
    const before = await createJob({ duration_ms: 60_000 });
    const stream = await sse('/v1/events');
    await stream.until((items) =>
      items.some((i) => i.kind === 'comment' && i.text === 'connected'),
    );
    const after = await createJob({ duration_ms: 60_000 });
    await stream.until((items) => eventsOf(items).some((e) => (e.data as JobBody).id === after.id));
    expect(eventsOf(stream.items).some((e) => (e.data as JobBody).id === before.id)).toBe(false);
    stream.close();
  });

  it('sends heartbeat comments', async () => {
    const stream = await sse('/v1/events');
    await stream.until(
      (items) => items.filter((i) => i.kind === 'comment' && i.text === 'heartbeat').length >= 2,
    );
    stream.close();
  });

  it('counts open streams against VT_MAX_WAITERS and answers 503 past it', async () => {
    const small = await startTestServer({ maxWaiters: 1 });
    const one = await openSse(`${small.url}/v1/events`);
    streams.push(one);
    const res = await fetch(`${small.url}/v1/events`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(((await res.json()) as { code: string }).code).toBe('server_busy');
    one.close();
  });

  it('ends open streams when the server closes', async () => {
    const own = await startTestServer();
    const stream = await openSse(`${own.url}/v1/events`);
    streams.push(stream);
    await stream.until((items) => items.length > 0);
    await own.close();
    await stream.ended;
  });

  it("never sends another tenant's events", async () => {
    const app = await buildTestApp({ tenantHeader: true, listen: true });
    const mine = await openSse(`${app.url}/v1/events`, { 'x-test-tenant': 'a' });
    streams.push(mine);
    await mine.until((items) => items.some((i) => i.kind === 'comment' && i.text === 'connected'));
    const post = (tenant: string) =>
      fetch(`${app.url}/v1/jobs`, { method: 'POST', headers: { 'x-test-tenant': tenant } }).then(
        async (r) => ((await r.json()) as JobBody).id,
      );
    const theirs = await post('b');
    const own = await post('a');
    await mine.until((items) => eventsOf(items).some((e) => (e.data as JobBody).id === own));
    expect(eventsOf(mine.items).map((e) => (e.data as JobBody).id)).not.toContain(theirs);
    // Nor on a replay from the start of the log.
    const replay = await openSse(`${app.url}/v1/events`, {
      'x-test-tenant': 'a',
      'last-event-id': '0-0',
    });
    streams.push(replay);
    await replay.until((items) => eventsOf(items).some((e) => (e.data as JobBody).id === own));
    expect(new Set(eventsOf(replay.items).map((e) => (e.data as JobBody).id))).toEqual(
      new Set([own]),
    );
    const foreign = await fetch(`${app.url}/v1/jobs/${theirs}/events`, {
      headers: { 'x-test-tenant': 'a' },
    });
    expect(foreign.status).toBe(404);
    mine.close();
    replay.close();
  });
});

describe('resuming a per-job stream', () => {
  it('skips the stage already seen when Last-Event-ID names it', async () => {
    const job = await createJob({ duration_ms: 60_000 });
    const stream = await sse(`/v1/jobs/${job.id}/events`, { 'last-event-id': '0' });
    await stream.until((items) =>
      items.some((i) => i.kind === 'comment' && i.text === 'heartbeat'),
    );
    expect(eventsOf(stream.items)).toEqual([]);
    await fetch(`${srv.url}/v1/jobs/${job.id}/cancel`, { method: 'POST' });
    await stream.ended;
    expect(eventsOf(stream.items).map((e) => [e.id, e.event])).toEqual([['6', 'job.canceled']]);
  });

  it('resumes between stage changes: only the later stages, then the terminal event', async () => {
    // Stages start at 0, 5, 25, 45, 65 and 85 % of the duration.
    const job = await createJob({ duration_ms: 1500, outcome: 'completed' });
    const stream = await sse(`/v1/jobs/${job.id}/events`, { 'last-event-id': '1' });
    await stream.ended;
    const events = eventsOf(stream.items);
    expect(events.map((e) => e.id)).toEqual(['2', '3', '4', '5', '6']);
    expect(events.map((e) => (e.data as JobBody).stage)).toEqual([
      'translating',
      'voicing',
      'lip_syncing',
      'rendering',
      null,
    ]);
  });

  it('answers 204 (stop reconnecting) when Last-Event-ID is at or past the terminal event', async () => {
    const job = await createJob({ duration_ms: 0, outcome: 'completed' });
    for (const id of ['6', '7', '123']) {
      const res = await fetch(`${srv.url}/v1/jobs/${job.id}/events`, {
        headers: { 'last-event-id': id },
      });
      expect(res.status, id).toBe(204);
      expect(await res.text()).toBe('');
    }
    // Before the terminal event, the terminal event is sent.
    const resumed = await sse(`/v1/jobs/${job.id}/events`, { 'last-event-id': '5' });
    await resumed.ended;
    expect(eventsOf(resumed.items).map((e) => e.id)).toEqual(['6']);
  });

  it('streams a pending job even when Last-Event-ID claims its terminal event', async () => {
    const job = await createJob({ duration_ms: 60_000 });
    const stream = await sse(`/v1/jobs/${job.id}/events`, { 'last-event-id': '6' });
    expect(stream.status).toBe(200);
    await stream.until((items) => items.some((i) => i.kind === 'comment'));
    // Nothing it claims to have is sent again; the stream ends when the job does.
    await fetch(`${srv.url}/v1/jobs/${job.id}/cancel`, { method: 'POST' });
    await stream.ended;
    expect(eventsOf(stream.items)).toEqual([]);
  });

  it('ignores a Last-Event-ID that is not a step', async () => {
    const job = await createJob({ duration_ms: 0, outcome: 'error' });
    for (const id of ['abc', '1712-3', '-1']) {
      const stream = await sse(`/v1/jobs/${job.id}/events`, { 'last-event-id': id });
      await stream.ended;
      expect(
        eventsOf(stream.items).map((e) => e.id),
        id,
      ).toEqual(['6']);
    }
  });
});
