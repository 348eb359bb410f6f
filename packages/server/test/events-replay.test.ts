/**
 * `GET /v1/events` with a `Last-Event-ID` far behind: the replay from the store is paced by what the
 * client reads. Written all at once, a backlog over the slow-consumer limit (1 MiB unread) got the
 * stream dropped before the client had read any of it — and the reconnect, from the same id, met
 * the same fate: a reader far behind never caught up.
 */
import { describe, expect, it } from 'vitest';
import { eventForStep } from '../src/sim/job-events.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { compareEventIds } from '../src/store/types.js';
import { jobRecord } from './helpers/records.js';
import { startTestServer } from './helpers/server.js';
import { eventsOf, openSse } from './helpers/sse.js';

const JOBS = 4000;

describe('/v1/events replay of a long backlog', () => {
  it('delivers a backlog of several MiB from Last-Event-ID 0-0 without dropping the stream', async () => {
    const store = new MemoryStore();
    const now = Date.now();
    for (let i = 0; i < JOBS; i++) {
      const record = jobRecord(`job_backlog${String(i).padStart(9, '0')}`, {
        tenant: 'public',
        sourceUrl: `https://example.com/${'v'.repeat(400)}/${i}.mp4`,
        createdAt: now + i,
        finishAt: now + 3_600_000,
      });
      await store.createJob(record, eventForStep(record, 0, record.createdAt));
    }
    const srv = await startTestServer({ store });
    const stream = await openSse(`${srv.url}/v1/events`, { 'last-event-id': '0-0' });
    try {
      const created = (got: typeof stream.items) =>
        eventsOf(got).filter((e) => e.event === 'job.created');
      const items = await stream.until((got) => created(got).length >= JOBS, 20_000);
      // Every job's created event once, ids increasing.
      const jobIds = created(items).map((e) => (e.data as { id: string }).id);
      expect(new Set(jobIds).size).toBe(JOBS);
      const ids = eventsOf(items).map((e) => e.id ?? '');
      expect(ids.every((id, i) => i === 0 || compareEventIds(ids[i - 1]!, id) < 0)).toBe(true);
    } finally {
      stream.close();
    }
  });
});
