/**
 * A read tells the job's state at the instant it was asked for. A job's status is its stored record
 * evaluated at an instant; if a record read before a cancel were evaluated after the job's finish
 * instant — the answer was slow: an event-loop stall, a paused process, a slow store — it would say
 * "completed" for a job canceled in between, and clients would see it end twice. Here the store
 * takes its snapshot at once but hands it back only when the test says, after a cancel and after
 * the finish instant, on a clock the test moves.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/store/memory-store.js';
import type { Store } from '../src/store/types.js';
import { createManualClock, startTestServer } from './helpers/server.js';

/** The memory store; while `hold.armed`, the next read takes its snapshot, then waits for `release`. */
function slowAnswers(store: MemoryStore) {
  let release: () => void = () => {};
  const hold = { armed: false };
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const method = (value as (...a: unknown[]) => Promise<unknown>).bind(target);
      if (prop !== 'getJob' && prop !== 'getJobs') return method;
      // Decided at the call: wrappers around the store may keep the function they were given.
      return async (...args: unknown[]) => {
        if (!hold.armed) return method(...args);
        hold.armed = false;
        const snapshot = await method(...args);
        await new Promise<void>((resolve) => (release = resolve));
        return snapshot;
      };
    },
  }) as Store;
  return { store: proxy, hold, release: () => release() };
}

const REQUESTS = [
  { name: 'GET /v1/jobs/{id}', path: (id: string) => `/v1/jobs/${id}`, headers: {} },
  { name: 'GET /v1/jobs?ids=', path: (id: string) => `/v1/jobs?ids=${id}`, headers: {} },
  { name: 'a long poll', path: (id: string) => `/v1/jobs/${id}`, headers: { prefer: 'wait=5' } },
];

describe('the instant a read is evaluated at', () => {
  for (const request of REQUESTS) {
    it(`${request.name}: a snapshot taken before a cancel never answers "completed"`, async () => {
      const clock = createManualClock();
      const slow = slowAnswers(new MemoryStore());
      const srv = await startTestServer({ store: slow.store, clock });
      const created = await fetch(`${srv.url}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ simulate: { duration_ms: 1000 } }),
      });
      const { id } = (await created.json()) as { id: string };

      clock.advance(200);
      slow.hold.armed = true;
      const read = fetch(`${srv.url}${request.path(id)}`, { headers: request.headers });
      // Wait until the read has taken its snapshot (the hold is disarmed by it).
      while (slow.hold.armed) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 20));
      clock.advance(300);
      const cancel = await fetch(`${srv.url}/v1/jobs/${id}/cancel`, { method: 'POST' });
      expect(((await cancel.json()) as { status: string }).status).toBe('canceled');
      clock.advance(1000);
      slow.release();

      const res = await read;
      const body = (await res.json()) as { status?: string; data?: { status: string }[] };
      const status = body.status ?? body.data?.[0]?.status;
      expect(['pending', 'canceled']).toContain(status);
    });
  }
});

describe('the finish instant', () => {
  it('a job is not reported ended before the clock reaches it, even when the timer fires early', async () => {
    // The scheduler's timer runs on real time; this clock lags it by a millisecond, as Date.now()
    // sometimes lags a timer. A long poll answered "completed" then would contradict a cancel
    // that the clock still allows.
    const clock = createManualClock();
    const srv = await startTestServer({ store: 'memory', clock });
    const created = await fetch(`${srv.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ simulate: { duration_ms: 150 } }),
    });
    const { id } = (await created.json()) as { id: string };
    const poll = fetch(`${srv.url}/v1/jobs/${id}`, { headers: { prefer: 'wait=5' } });
    clock.advance(149);
    await new Promise((r) => setTimeout(r, 300));
    const cancel = await fetch(`${srv.url}/v1/jobs/${id}/cancel`, { method: 'POST' });
    const polled = (await (await poll).json()) as { status: string };
    if (cancel.status === 200) expect(polled.status).toBe('canceled');
    else expect(polled.status).not.toBe('canceled');
    expect(cancel.status).toBe(200);
  });
});
