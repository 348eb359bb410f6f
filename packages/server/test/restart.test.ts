import { describe, expect, it } from 'vitest';
import { eventForStep } from '../src/sim/job-events.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { Store } from '../src/store/types.js';
import { jobRecord } from './helpers/records.js';
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

describe('readiness after a restart', () => {
  it('is live at once and says catching_up on /readyz until the steps missed while down are written', async () => {
    const store = new MemoryStore();
    const now = Date.now();
    // Finished while the server was down: its terminal event is still to be written.
    const missed = jobRecord('job_missed', {
      tenant: 'public',
      createdAt: now - 5000,
      finishAt: now - 1000,
    });
    await store.createJob(missed, eventForStep(missed, 0, missed.createdAt));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // The unfinished jobs take as long to read as the test says.
    const slow = new Proxy(store, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (prop !== 'unfinishedJobs')
          return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
        return async (cursor: string | undefined, limit: number) => {
          await gate;
          return target.unfinishedJobs(cursor, limit);
        };
      },
    }) as Store;
    const srv = await startTestServer({ store: slow });
    expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${srv.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(notReady.headers.get('retry-after')).toBe('1');
    expect(((await notReady.json()) as { code: string }).code).toBe('catching_up');
    release();
    let status = 503;
    for (let i = 0; i < 200 && status !== 200; i++) {
      await sleep(10);
      status = (await fetch(`${srv.url}/readyz`)).status;
    }
    expect(status).toBe(200);
    // Ready means caught up: the missed terminal event is written.
    const events = await store.readEvents('public', undefined, 10);
    expect(events.filter((e) => e.jobId === 'job_missed').map((e) => e.type)).toEqual([
      'job.created',
      'job.completed',
    ]);
  });

  it('is ready once the jobs that finished while down are written, while later ones still load', async () => {
    const store = new SqliteStore(`${tempDir()}/ready.db`);
    const now = Date.now();
    const missed: string[] = [];
    // More than a page of unfinished jobs: 10 finished while down, the rest finish in an hour.
    for (let i = 0; i < 1500; i++) {
      const due = i % 150 === 0;
      const rec = jobRecord(`job_${String(i).padStart(4, '0')}`, {
        tenant: 'public',
        createdAt: now - 5000,
        finishAt: due ? now - 1000 - i : now + 3_600_000 + i,
      });
      if (due) missed.push(rec.id);
      await store.createJob(rec, eventForStep(rec, 0, rec.createdAt));
    }
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let pages = 0;
    // The store's first page comes at once; the rest wait for the test.
    const slow = new Proxy(store, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (prop !== 'unfinishedJobs')
          return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
        return async (cursor: string | undefined, limit: number) => {
          if (pages++ > 0) await gate;
          return target.unfinishedJobs(cursor, limit);
        };
      },
    }) as Store;
    const srv = await startTestServer({ store: slow });
    try {
      let status = 503;
      for (let i = 0; i < 300 && status !== 200; i++) {
        await sleep(10);
        status = (await fetch(`${srv.url}/readyz`)).status;
      }
      expect(status).toBe(200);
      expect(pages).toBe(2); // the second is still waiting
      const written = (await store.readEvents('public', undefined, 5000)).filter(
        (e) => e.type === 'job.completed',
      );
      expect(written.map((e) => e.jobId).sort()).toEqual(missed);
    } finally {
      release();
    }
  });
});
