import { describe, expect, it } from 'vitest';
import { ApiError, VtransClient } from '@vtrans/client';
import { jobJson, useScriptedServers } from './helpers/scripted-server.js';

const serve = useScriptedServers();

describe('a per-job event stream answered 204', () => {
  it('stops reconnecting (the SSE rule) and ends the wait with the 204, after one request', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(204).end();
    });
    const client = new VtransClient({ baseUrl: srv.url, retry: { baseDelayMs: 5 } });
    const error: unknown = await client
      .waitForJob('job_test', { strategy: 'sse', timeoutMs: 5000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(204);
    expect((error as ApiError).message).toMatch(/is over; not reconnecting/);
    expect(srv.requests).toHaveLength(1);
  });

  it('is never reached by a wait that got the terminal event: the stream ends there', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`id: 0\nevent: job.updated\ndata: ${JSON.stringify(jobJson())}\n\n`);
      res.end(
        `id: 6\nevent: job.completed\ndata: ${JSON.stringify(jobJson({ status: 'completed', stage: null, progress: 1, eta: null, completed_at: '2026-01-01T00:00:01.000Z', result: { video_url: 'https://x.invalid/v.mp4' }, version: 2 }))}\n\n`,
      );
    });
    const client = new VtransClient({ baseUrl: srv.url });
    const job = await client.waitForJob('job_test', { strategy: 'sse', timeoutMs: 5000 });
    expect(job.status).toBe('completed');
    expect(srv.requests).toHaveLength(1);
  });
});
