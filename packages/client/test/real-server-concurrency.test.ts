import type { Socket } from 'node:net';
import { startServer } from '@vtrans/server';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VtransClient, type Job, type WaitTransport } from '@vtrans/client';

type Server = Awaited<ReturnType<typeof startServer>>;
let srv: Server;
let open = 0;
let maxOpen = 0;

beforeAll(async () => {
  srv = await startServer({ port: 0, store: 'memory', host: '127.0.0.1' });
  srv.app.server.on('connection', (socket: Socket) => {
    open += 1;
    maxOpen = Math.max(maxOpen, open);
    socket.once('close', () => {
      open -= 1;
    });
  });
});

afterAll(async () => {
  await srv.close();
});

/** A client on its own connection pool, counting its requests by path. */
function isolatedClient(): { client: VtransClient; paths: string[]; agent: Agent } {
  const agent = new Agent({ keepAliveTimeout: 30_000 });
  const paths: string[] = [];
  const client = new VtransClient({
    baseUrl: srv.url,
    fetch: ((input: URL, init: RequestInit) => {
      paths.push(new URL(input).pathname);
      return undiciFetch(input, { ...(init as object), dispatcher: agent });
    }) as unknown as typeof fetch,
  });
  return { client, paths, agent };
}

async function createJobs(count: number, durationMs: (i: number) => number): Promise<Job[]> {
  const creator = new VtransClient({ baseUrl: srv.url });
  const jobs: Job[] = [];
  for (let i = 0; i < count; i += 50) {
    const chunk = Array.from({ length: Math.min(50, count - i) }, (_, k) =>
      creator.createJob({ simulate: { duration_ms: durationMs(i + k), outcome: 'completed' } }),
    );
    jobs.push(...(await Promise.all(chunk)));
  }
  return jobs;
}

function resetSockets(): void {
  maxOpen = open;
}

describe('concurrent waits on one client', () => {
  it('serves 50 waits with one batch long poll re-armed as they finish', async () => {
    const jobs = await createJobs(50, (i) => 300 + 20 * i);
    const { client, paths, agent } = isolatedClient();
    const transports = new Set<WaitTransport>();
    const before = open;
    resetSockets();
    const done = await Promise.all(
      jobs.map((job) =>
        client.waitForJob(job.id, { onUpdate: (_j, info) => transports.add(info.transport) }),
      ),
    );
    expect(done.every((job) => job.status === 'completed')).toBe(true);
    expect([...transports]).toEqual(['batch-long-poll']);
    expect(paths.every((p) => p === '/v1/jobs')).toBe(true);
    // One snapshot, then at most one held request per distinct finish (50 here).
    expect(paths.length).toBeLessThanOrEqual(52);
    expect(maxOpen - before).toBeLessThanOrEqual(1);
    await agent.close();
  });

  it(
    'serves 1,000 waits over one event stream and at most 2 connections',
    { timeout: 120_000 },
    async () => {
      // Creating 1,000 jobs takes this server several seconds: most must still be pending when the
      // waits start, so the stream (not only the catch-up) is exercised.
      const jobs = await createJobs(1000, (i) => 14_000 + (i % 100) * 20);
      const { client, paths, agent } = isolatedClient();
      const before = open;
      resetSockets();
      const latenessMs: number[] = [];
      const transports = new Set<WaitTransport>();
      const startedAt = Date.now();
      const done = await Promise.all(
        jobs.map(async (job) => {
          const finished = await client.waitForJob(job.id, {
            timeoutMs: 60_000,
            onUpdate: (_j, info) => transports.add(info.transport),
          });
          const finishedAt = Date.parse(finished.completed_at ?? '');
          latenessMs.push(Date.now() - Math.max(finishedAt, startedAt));
          return finished;
        }),
      );
      expect(done.map((job) => job.status)).toEqual(jobs.map(() => 'completed'));
      expect(maxOpen - before).toBeLessThanOrEqual(2);
      expect(paths.filter((p) => p === '/v1/events')).toHaveLength(1);
      expect(transports.has('events')).toBe(true);
      // The stream, plus catch-up batches of 100 for jobs that may have finished before it opened.
      expect(paths.length).toBeLessThanOrEqual(1 + 10 + 5);
      latenessMs.sort((a, b) => a - b);
      expect(latenessMs[latenessMs.length - 1]).toBeLessThan(5000);
      await agent.close();
    },
  );
});
