import { describe, expect, it } from 'vitest';
import { eventsOf, openSse } from './helpers/sse.js';
import { startTestServer } from './helpers/server.js';
import { sleep, tempDir } from '@vtrans/test-support';

interface JobBody {
  id: string;
  status: string;
  version: number;
  created_at: string;
  completed_at: string | null;
}

describe('restarting on the same SQLite file', () => {
  it('rebuilds the scheduler at boot: jobs that finished while down get their terminal events and wake long polls at once', async () => {
    const store = `sqlite:${tempDir()}/restart.db`;
    const first = await startTestServer({ store });
    const create = async (simulate: object) => {
      const res = await fetch(`${first.url}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ simulate }),
      });
      expect(res.status).toBe(201);
      return (await res.json()) as JobBody;
    };
    const done = await create({ duration_ms: 300, outcome: 'completed' });
    const failed = await create({ duration_ms: 300, outcome: 'error' });
    const running = await create({ duration_ms: 60_000 });
    await first.close();
    // Down until both short jobs would have finished.
    await sleep(Math.max(0, Date.parse(done.created_at) + 400 - Date.now()));

    const second = await startTestServer({ store });
    const stream = await openSse(`${second.url}/v1/events`, { 'last-event-id': '0-0' });
    try {
      const terminal = (items: typeof stream.items, id: string) =>
        eventsOf(items).find(
          (e) =>
            (e.data as JobBody).id === id && e.event !== 'job.created' && e.event !== 'job.updated',
        );
      await stream.until((items) =>
        Boolean(terminal(items, done.id) && terminal(items, failed.id)),
      );
      const events = eventsOf(stream.items);
      const completed = terminal(stream.items, done.id)!;
      expect(completed.event).toBe('job.completed');
      // The event tells when the job finished, not when the server noticed.
      expect((completed.data as JobBody).completed_at).toBe(
        new Date(Date.parse(done.created_at) + 300).toISOString(),
      );
      expect(terminal(stream.items, failed.id)!.event).toBe('job.failed');
      const types = (id: string) =>
        events.filter((e) => (e.data as JobBody).id === id).map((e) => e.event);
      expect(types(done.id).filter((t) => t === 'job.completed')).toHaveLength(1);
      expect(types(done.id)[0]).toBe('job.created');
      expect(types(running.id)).toEqual(['job.created']);

      const started = performance.now();
      const poll = await fetch(`${second.url}/v1/jobs/${done.id}`, {
        headers: { prefer: 'wait=20', 'if-none-match': 'W/"1"' },
      });
      expect(poll.status).toBe(200);
      expect(((await poll.json()) as JobBody).status).toBe('completed');
      expect(performance.now() - started).toBeLessThan(5000);
      // The still-running job is scheduled again and still readable as pending.
      const pending = await fetch(`${second.url}/v1/jobs/${running.id}`);
      expect(((await pending.json()) as JobBody).status).toBe('pending');
      expect(second.context.scheduler.size).toBeGreaterThanOrEqual(1);
    } finally {
      stream.close();
    }
  });

  it('writes each terminal event once even after several restarts', async () => {
    const store = `sqlite:${tempDir()}/twice.db`;
    const a = await startTestServer({ store });
    const res = await fetch(`${a.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ simulate: { duration_ms: 50, outcome: 'completed' } }),
    });
    const job = (await res.json()) as JobBody;
    await fetch(`${a.url}/v1/jobs/${job.id}?wait=10`);
    await a.close();
    const b = await startTestServer({ store });
    await b.close();
    const c = await startTestServer({ store });
    const stream = await openSse(`${c.url}/v1/events`, { 'last-event-id': '0-0' });
    try {
      await stream.until((items) => eventsOf(items).some((e) => e.event === 'job.completed'));
      await sleep(100);
      const mine = eventsOf(stream.items).filter((e) => (e.data as JobBody).id === job.id);
      expect(mine.filter((e) => e.event === 'job.completed')).toHaveLength(1);
      expect(mine[0]?.event).toBe('job.created');
    } finally {
      stream.close();
    }
  });
});
