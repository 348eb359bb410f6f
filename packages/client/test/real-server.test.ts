import { startServer } from '@vtrans/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConflictError,
  JobFailedError,
  NotFoundError,
  VtransClient,
  type Job,
  type WaitStrategy,
  type WaitTransport,
} from '@vtrans/client';

type Server = Awaited<ReturnType<typeof startServer>>;
let srv: Server;

beforeAll(async () => {
  srv = await startServer({ port: 0, store: 'memory', host: '127.0.0.1' });
});

afterAll(async () => {
  await srv.close();
});

/** A client whose every request is counted. */
function countingClient(): { client: VtransClient; requests: string[] } {
  const requests: string[] = [];
  const client = new VtransClient({
    baseUrl: srv.url,
    fetch: (input, init) => {
      requests.push(
        `${init?.method ?? 'GET'} ${(input instanceof Request ? input.url : input.toString()).replace(srv.url, '')}`,
      );
      return fetch(input, init);
    },
  });
  return { client, requests };
}

describe('against the real server', () => {
  it('creates, reads, lists and cancels jobs', async () => {
    const { client } = countingClient();
    const job = await client.createJob({ simulate: { duration_ms: 60_000 } });
    expect(job.status).toBe('pending');
    expect((await client.getJob(job.id)).id).toBe(job.id);
    const ids: string[] = [];
    for await (const listed of client.listJobs({ status: 'pending' })) ids.push(listed.id);
    expect(ids).toContain(job.id);
    const canceled = await client.cancelJob(job.id);
    expect(canceled.status).toBe('canceled');
    await expect(client.getJob('job_doesnotexist0000000')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('replays a creation with the same idempotency key', async () => {
    const { client } = countingClient();
    const a = await client.createJob({ target_language: 'de' }, { idempotencyKey: 'same-key-1' });
    const b = await client.createJob({ target_language: 'de' }, { idempotencyKey: 'same-key-1' });
    expect(b.id).toBe(a.id);
  });

  it('refuses to cancel a completed job with ConflictError', async () => {
    const { client } = countingClient();
    const job = await client.translate({ simulate: { duration_ms: 20, outcome: 'completed' } });
    await expect(client.cancelJob(job.id)).rejects.toBeInstanceOf(ConflictError);
  });

  const strategies: [WaitStrategy, WaitTransport, number][] = [
    ['auto', 'long-poll', 2],
    ['long-poll', 'long-poll', 2],
    ['sse', 'sse', 1],
    ['poll', 'poll', 8],
  ];
  for (const [strategy, transport, maxRequests] of strategies) {
    it(`waits for a completed job with strategy ${strategy}`, async () => {
      const { client, requests } = countingClient();
      const job = await client.createJob({ simulate: { duration_ms: 300, outcome: 'completed' } });
      requests.length = 0;
      const updates: [string, WaitTransport][] = [];
      const done = await client.waitForJob(job.id, {
        strategy,
        onUpdate: (j, info) => updates.push([j.status, info.transport]),
      });
      expect(done.status).toBe('completed');
      expect(done.result?.video_url).toBeTruthy();
      expect(updates.at(-1)).toEqual(['completed', transport]);
      expect(requests.length).toBeLessThanOrEqual(maxRequests);
    });

    it(`rejects JobFailedError for a failing job with strategy ${strategy}`, async () => {
      const { client } = countingClient();
      const job = await client.createJob({ simulate: { duration_ms: 100, outcome: 'error' } });
      const error: unknown = await client.waitForJob(job.id, { strategy }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JobFailedError);
      expect((error as JobFailedError).job.status).toBe('error');
    });
  }

  it('watchJob yields each change and ends with the terminal job', async () => {
    const { client } = countingClient();
    const job = await client.createJob({ simulate: { duration_ms: 150, outcome: 'error' } });
    const seen: Job[] = [];
    for await (const j of client.watchJob(job.id, { strategy: 'sse' })) seen.push(j);
    expect(seen.at(-1)?.status).toBe('error');
    expect(seen.length).toBeGreaterThanOrEqual(2);
  });

  it('waitForStatus reads the original /status for a job', async () => {
    const { client } = countingClient();
    const job = await client.createJob({ simulate: { duration_ms: 50, outcome: 'completed' } });
    const status = await client.waitForStatus({ jobId: job.id, poll: { minIntervalMs: 20 } });
    expect(status.result).toBe('completed');
  });
});
