import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { createManualClock, startTestServer } from './helpers/server.js';
import { sleep } from '@vtrans/test-support';

interface JobBody {
  id: string;
  status: string;
  version: number;
  completed_at: string | null;
}

async function createJob(srv: RunningServer, simulate: object = { duration_ms: 60_000 }) {
  const res = await fetch(`${srv.url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ simulate }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as JobBody;
}

async function get(srv: RunningServer, path: string, headers: Record<string, string> = {}) {
  const started = performance.now();
  const res = await fetch(`${srv.url}${path}`, { headers });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as JobBody & Record<string, unknown>) : undefined,
    elapsedMs: performance.now() - started,
  };
}

/** Resolves once the server holds `count` requests. */
async function heldRequests(srv: RunningServer, count: number): Promise<void> {
  for (let i = 0; i < 400 && srv.context.waiters.heldRequests !== count; i++) await sleep(5);
  expect(srv.context.waiters.heldRequests).toBe(count);
}

let srv: RunningServer;
beforeAll(async () => {
  srv = await startTestServer();
});

describe('long polling GET /v1/jobs/{id}', () => {
  it('holds with Prefer: wait=N and answers when the job completes', async () => {
    const job = await createJob(srv, { duration_ms: 60, outcome: 'completed' });
    const res = await get(srv, `/v1/jobs/${job.id}`, { prefer: 'wait=10' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: job.id, status: 'completed', version: 2 });
    expect(res.headers.get('etag')).toBe('W/"2"');
    expect(res.headers.get('preference-applied')).toBe('wait=10');
    expect(res.headers.get('vary')).toBe('Prefer');
    // It answered on the change, not at the end of the hold.
    expect(res.elapsedMs).toBeLessThan(5000);
    expect(srv.context.waiters.heldRequests).toBe(0);
  });

  it('takes ?wait=N as an alias of Prefer: wait=N', async () => {
    const job = await createJob(srv, { duration_ms: 50, outcome: 'error' });
    const res = await get(srv, `/v1/jobs/${job.id}?wait=10`);
    expect(res.body).toMatchObject({ status: 'error', version: 2 });
    expect(res.headers.get('preference-applied')).toBe('wait=10');
  });

  it.each(['soon', '-1', '1.5', ''])('refuses ?wait=%j with 400', async (wait) => {
    const res = await srv.app.inject({ method: 'GET', url: `/v1/jobs/job_x?wait=${wait}` });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'invalid_request',
      errors: [{ path: 'querystring.wait' }],
    });
  });

  it.each(['wait=soon', 'wait', 'respond-async', 'wait=-3'])(
    'ignores a Prefer header it cannot use (%s): 200 at once, no Preference-Applied',
    async (prefer) => {
      const job = await createJob(srv);
      const res = await get(srv, `/v1/jobs/${job.id}`, { prefer });
      expect(res.status).toBe(200);
      expect(res.body?.status).toBe('pending');
      expect(res.headers.get('preference-applied')).toBeNull();
      expect(res.headers.get('vary')).toBeNull();
      expect(res.elapsedMs).toBeLessThan(5000);
    },
  );

  it('finds wait among other preferences', async () => {
    const job = await createJob(srv, { duration_ms: 30 });
    const res = await get(srv, `/v1/jobs/${job.id}`, { prefer: 'return=minimal, wait=7' });
    expect(res.headers.get('preference-applied')).toBe('wait=7');
  });

  it('answers a held request when another request cancels the job', async () => {
    const job = await createJob(srv);
    const held = get(srv, `/v1/jobs/${job.id}`, { prefer: 'wait=20' });
    await heldRequests(srv, 1);
    const cancel = await fetch(`${srv.url}/v1/jobs/${job.id}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(200);
    const res = await held;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'canceled', version: 2 });
    expect(res.headers.get('etag')).toBe('W/"2"');
    expect(res.elapsedMs).toBeLessThan(10_000);
  });

  it('answers 304 when the hold ends with nothing new for a conditional request', async () => {
    const job = await createJob(srv);
    const res = await get(srv, `/v1/jobs/${job.id}`, {
      prefer: 'wait=1',
      'if-none-match': 'W/"1"',
    });
    expect(res.status).toBe(304);
    expect(res.body).toBeUndefined();
    expect(res.headers.get('etag')).toBe('W/"1"');
    expect(res.headers.get('preference-applied')).toBe('wait=1');
    expect(res.headers.get('vary')).toBe('Prefer');
    expect(res.elapsedMs).toBeGreaterThanOrEqual(900);
  });

  it('answers 200 with the unchanged job when an unconditional hold ends', async () => {
    const job = await createJob(srv);
    const res = await get(srv, `/v1/jobs/${job.id}`, { prefer: 'wait=1' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'pending', version: 1 });
    expect(res.headers.get('preference-applied')).toBe('wait=1');
    // The hint counts down while the request was held.
    expect(res.headers.get('retry-after')).toMatch(/^5[89]$/);
  });

  it('answers a conditional GET on a terminal version with 304 at once, never held', async () => {
    const job = await createJob(srv, { duration_ms: 0 });
    const res = await get(srv, `/v1/jobs/${job.id}`, {
      prefer: 'wait=20',
      'if-none-match': 'W/"2"',
    });
    expect(res.status).toBe(304);
    expect(res.headers.get('preference-applied')).toBe('wait=20');
    expect(res.elapsedMs).toBeLessThan(5000);
    const strong = await get(srv, `/v1/jobs/${job.id}`, {
      prefer: 'wait=20',
      'if-none-match': '"2"',
    });
    expect(strong.status).toBe(304);
  });

  it('answers 200 at once when If-None-Match names an older version', async () => {
    const job = await createJob(srv, { duration_ms: 0, outcome: 'completed' });
    const res = await get(srv, `/v1/jobs/${job.id}`, {
      prefer: 'wait=20',
      'if-none-match': 'W/"1"',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'completed', version: 2 });
    expect(res.elapsedMs).toBeLessThan(5000);
  });

  it('answers a terminal job at once even without If-None-Match', async () => {
    const job = await createJob(srv, { duration_ms: 0 });
    const res = await get(srv, `/v1/jobs/${job.id}`, { prefer: 'wait=20' });
    expect(res.status).toBe(200);
    expect(res.elapsedMs).toBeLessThan(5000);
  });

  it('caps the wait at 50 seconds', async () => {
    const job = await createJob(srv, { duration_ms: 30 });
    const res = await get(srv, `/v1/jobs/${job.id}`, { prefer: 'wait=3600' });
    expect(res.body?.status).not.toBe('pending');
    expect(res.headers.get('preference-applied')).toBe('wait=50');
    const alias = await get(srv, `/v1/jobs/${job.id}?wait=120`);
    expect(alias.headers.get('preference-applied')).toBe('wait=50');
  });

  it('answers wait=0 at once with Preference-Applied: wait=0', async () => {
    const job = await createJob(srv);
    const res = await get(srv, `/v1/jobs/${job.id}`, { prefer: 'wait=0' });
    expect(res.status).toBe(200);
    expect(res.headers.get('preference-applied')).toBe('wait=0');
  });

  it('answers 404 at once for an unknown job, even when asked to wait', async () => {
    const res = await get(srv, '/v1/jobs/job_unknown', { prefer: 'wait=20' });
    expect(res.status).toBe(404);
    expect(res.body?.code).toBe('job_not_found');
    expect(srv.context.waiters.heldRequests).toBe(0);
  });

  it('answers at once without Preference-Applied once VT_MAX_WAITERS requests are held', async () => {
    const srv = await startTestServer({ maxWaiters: 1 });
    const a = await createJob(srv);
    const b = await createJob(srv);
    const first = get(srv, `/v1/jobs/${a.id}`, { prefer: 'wait=20' });
    await heldRequests(srv, 1);
    const second = await get(srv, `/v1/jobs/${b.id}`, { prefer: 'wait=20' });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ id: b.id, status: 'pending' });
    expect(second.headers.get('preference-applied')).toBeNull();
    expect(second.headers.get('retry-after')).toBe('60');
    expect(second.elapsedMs).toBeLessThan(5000);
    await srv.close();
    expect((await first).headers.get('preference-applied')).toBe('wait=20');
  });

  it('misses no change that happens between its first read and its hold', async () => {
    let afterRead: ((id: string) => Promise<void>) | undefined;
    class HookedStore extends MemoryStore {
      override async getJob(id: string) {
        const record = await super.getJob(id);
        await afterRead?.(id);
        return record;
      }
    }
    const own = await startTestServer({ store: new HookedStore() });
    const job = await createJob(own);
    // The job is canceled (and the notice published) right after the long poll's first read.
    afterRead = async (id) => {
      if (id !== job.id) return;
      afterRead = undefined;
      await fetch(`${own.url}/v1/jobs/${job.id}/cancel`, { method: 'POST' });
    };
    const res = await get(own, `/v1/jobs/${job.id}`, { prefer: 'wait=3' });
    expect(afterRead).toBeUndefined();
    expect(res.body).toMatchObject({ status: 'canceled', version: 2 });
    expect(res.elapsedMs).toBeLessThan(2500);
  });

  it('stops holding when the client goes away', async () => {
    const job = await createJob(srv);
    const controller = new AbortController();
    const held = fetch(`${srv.url}/v1/jobs/${job.id}`, {
      headers: { prefer: 'wait=30' },
      signal: controller.signal,
    }).catch((err: unknown) => err);
    await heldRequests(srv, 1);
    controller.abort();
    await held;
    await heldRequests(srv, 0);
    expect(srv.context.hub.watchedJobs).toBe(0);
  });

  it('answers every request held on a job when it changes, more than one wake slice of them', async () => {
    const job = await createJob(srv);
    const held = Array.from({ length: 300 }, () =>
      get(srv, `/v1/jobs/${job.id}`, { prefer: 'wait=30', 'if-none-match': 'W/"1"' }),
    );
    await heldRequests(srv, 300);
    await fetch(`${srv.url}/v1/jobs/${job.id}/cancel`, { method: 'POST' });
    const answers = await Promise.all(held);
    expect(answers.map((a) => a.body?.status)).toEqual(Array(300).fill('canceled'));
    await heldRequests(srv, 0);
  });

  it('answers every held request before close() resolves', async () => {
    const srv = await startTestServer();
    const jobs = await Promise.all([createJob(srv), createJob(srv), createJob(srv)]);
    const answered: number[] = [];
    const holds = jobs.map((job, i) =>
      get(srv, `/v1/jobs/${job.id}`, { prefer: 'wait=30', 'if-none-match': 'W/"1"' }).then(
        (res) => {
          answered.push(i);
          return res;
        },
      ),
    );
    await heldRequests(srv, 3);
    const started = performance.now();
    await srv.close();
    expect(srv.context.waiters.heldRequests).toBe(0);
    const results = await Promise.all(holds);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(answered).toHaveLength(3);
    for (const res of results) {
      // Nothing changed: the conditional request gets its 304, as at the end of a hold.
      expect(res.status).toBe(304);
      expect(res.headers.get('preference-applied')).toBe('wait=30');
    }
  });
});

describe('batch long polling GET /v1/jobs?ids=', () => {
  it('returns as soon as any listed job changes, with every listed job', async () => {
    const slow = await createJob(srv);
    const fast = await createJob(srv, { duration_ms: 60, outcome: 'completed' });
    const path = `/v1/jobs?ids=${slow.id},${fast.id}`;
    const first = await get(srv, path);
    const etag = first.headers.get('etag') ?? '';
    const res = await get(srv, path, { prefer: 'wait=10', 'if-none-match': etag });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).not.toBe(etag);
    expect(res.headers.get('preference-applied')).toBe('wait=10');
    const data = (res.body as unknown as { data: JobBody[] }).data;
    expect(data.map((j) => [j.id, j.status])).toEqual([
      [slow.id, 'pending'],
      [fast.id, 'completed'],
    ]);
    expect(res.elapsedMs).toBeLessThan(5000);
  });

  it('answers 304 when the hold ends with a matching ETag', async () => {
    const a = await createJob(srv);
    const b = await createJob(srv);
    const path = `/v1/jobs?ids=${a.id},${b.id}`;
    const etag = (await get(srv, path)).headers.get('etag') ?? '';
    const res = await get(srv, path, { prefer: 'wait=1', 'if-none-match': etag });
    expect(res.status).toBe(304);
    expect(res.headers.get('etag')).toBe(etag);
    expect(res.headers.get('preference-applied')).toBe('wait=1');
  });

  it('answers at once when the batch already differs from the If-None-Match', async () => {
    const a = await createJob(srv, { duration_ms: 0 });
    const res = await get(srv, `/v1/jobs?ids=${a.id}`, {
      prefer: 'wait=20',
      'if-none-match': 'W/"b-stale"',
    });
    expect(res.status).toBe(200);
    expect(res.elapsedMs).toBeLessThan(5000);
  });

  it('holds without If-None-Match from the state at arrival', async () => {
    const a = await createJob(srv);
    const held = get(srv, `/v1/jobs?ids=${a.id}`, { prefer: 'wait=10' });
    await heldRequests(srv, 1);
    await fetch(`${srv.url}/v1/jobs/${a.id}/cancel`, { method: 'POST' });
    const res = await held;
    expect((res.body as unknown as { data: JobBody[] }).data[0]).toMatchObject({
      status: 'canceled',
      version: 2,
    });
  });

  it('never holds a batch whose jobs have all ended (304 at once when conditional)', async () => {
    const a = await createJob(srv, { duration_ms: 0 });
    const b = await createJob(srv, { duration_ms: 0, outcome: 'error' });
    const path = `/v1/jobs?ids=${a.id},${b.id},job_unknown`;
    const plain = await get(srv, path, { prefer: 'wait=20' });
    expect(plain.status).toBe(200);
    expect(plain.elapsedMs).toBeLessThan(5000);
    const etag = plain.headers.get('etag') ?? '';
    const conditional = await get(srv, path, { prefer: 'wait=20', 'if-none-match': etag });
    expect(conditional.status).toBe(304);
    expect(conditional.elapsedMs).toBeLessThan(5000);
  });
});

describe('the scheduler and the clock', () => {
  it('answers a waiter when the clock reaches the finish instant, also when the timer fires a hair early', async () => {
    const clock = createManualClock();
    const t0 = clock.now();
    const srv = await startTestServer({ clock });
    const job = await createJob(srv, { duration_ms: 40, outcome: 'completed' });
    let answered = false;
    const held = get(srv, `/v1/jobs/${job.id}`, { prefer: 'wait=2' }).finally(() => {
      answered = true;
    });
    await heldRequests(srv, 1);
    // The finish timer fires (in real time) while the clock still reads a hair before the instant:
    // the job is still pending (a cancel would still be allowed), so nothing is answered yet...
    clock.set(t0 + 39);
    await sleep(150);
    expect(answered).toBe(false);
    // ...and once the clock reaches it, the waiter gets the terminal state at once.
    clock.set(t0 + 40);
    const res = await held;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'completed',
      version: 2,
      completed_at: new Date(t0 + 40).toISOString(),
    });
  });
});
