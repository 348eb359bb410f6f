import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/store/memory-store.js';
import type { Store } from '../src/store/types.js';
import { createManualClock, startTestServer } from './helpers/server.js';
import { sleep } from '@vtrans/test-support';

describe('retention (VT_RETENTION)', () => {
  it('forgets finished jobs and idempotency keys older than the retention, never pending jobs', async () => {
    const clock = createManualClock();
    const srv = await startTestServer({ clock, retentionMs: 1000, translationDelayMs: 0 });
    const post = (body: object, key: string) =>
      fetch(`${srv.url}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(body),
      });
    const finished = (await (await post({ simulate: { duration_ms: 0 } }, 'old-key')).json()) as {
      id: string;
    };
    const pending = (await (
      await post({ simulate: { duration_ms: 3_600_000 } }, 'pending-key')
    ).json()) as {
      id: string;
    };
    // Let the scheduler write the finished job's terminal event (only then may it be purged).
    await sleep(100);
    expect((await fetch(`${srv.url}/v1/jobs/${finished.id}`)).status).toBe(200);
    clock.advance(5000);
    // The purge runs every tenth of the retention (100 ms here).
    let status = 200;
    for (let i = 0; i < 100 && status === 200; i++) {
      await sleep(20);
      status = (await fetch(`${srv.url}/v1/jobs/${finished.id}`)).status;
    }
    expect(status).toBe(404);
    expect((await fetch(`${srv.url}/v1/jobs/${pending.id}`)).status).toBe(200);
    // The key is forgotten with the job: the same key now creates a new job.
    const reused = await post({ source_url: 'https://example.com/other.mp4' }, 'old-key');
    expect(reused.status).toBe(201);
    expect(reused.headers.get('idempotent-replayed')).toBeNull();
  });

  it('runs one sweep at a time, the next timed from the end of the last', async () => {
    let running = 0;
    let most = 0;
    let sweeps = 0;
    const memory = new MemoryStore();
    // Each sweep takes three times the interval between sweeps (a tenth of the retention).
    const store = new Proxy(memory, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop, target);
        if (prop !== 'purgeExpired')
          return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
        return async (before: number, keep: readonly string[]) => {
          running++;
          sweeps++;
          most = Math.max(most, running);
          await sleep(300);
          running--;
          return target.purgeExpired(before, keep);
        };
      },
    }) as Store;
    await startTestServer({ store, retentionMs: 1000 });
    await sleep(1000);
    expect(sweeps).toBeGreaterThanOrEqual(2);
    expect(most).toBe(1);
  });
});
