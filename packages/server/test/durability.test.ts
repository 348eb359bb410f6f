import { describe, expect, it } from 'vitest';
import { spawnServer, tempDir } from '@vtrans/test-support';

interface JobBody {
  id: string;
  status: string;
  version: number;
  created_at: string;
  eta: string | null;
  completed_at: string | null;
  error: unknown;
  result: unknown;
}

const fateOf = (j: JobBody) => ({
  id: j.id,
  status: j.status,
  created_at: j.created_at,
  completed_at: j.completed_at,
  error: j.error,
  result: j.result,
});

describe('the server process on a SQLite file', () => {
  it('keeps every acknowledged job with the same fate across kill -9, and stops gracefully on SIGTERM', async () => {
    const env = {
      VT_STORE: `sqlite:${tempDir()}/durable.db`,
      TRANSLATION_DELAY: '200',
      ERROR_PROBABILITY: '0.5',
    };
    const first = await spawnServer({ env });
    const create = async (i: number) => {
      const res = await fetch(`${first.url}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `job-${i}` },
        body: JSON.stringify({ source_url: `https://example.com/${i}.mp4` }),
      });
      if (res.status !== 201) throw new Error(`create ${i}: ${res.status}`);
      return (await res.json()) as JobBody;
    };
    // 25 jobs that finish before the crash: their outcome is known and must not change.
    const early = await Promise.all(Array.from({ length: 25 }, (_, i) => create(i)));
    const settledBefore = await Promise.all(
      early.map(async (job) => {
        const done = await fetch(`${first.url}/v1/jobs/${job.id}?wait=10`, {
          headers: { 'if-none-match': 'W/"1"' },
        });
        return (await done.json()) as JobBody;
      }),
    );
    expect(settledBefore.every((j) => j.status !== 'pending')).toBe(true);
    // 25 more created concurrently; the process is killed as soon as the last one is acknowledged.
    const acknowledged = await Promise.all(Array.from({ length: 25 }, (_, i) => create(25 + i)));
    process.kill(first.pid, 'SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    const second = await spawnServer({ env });
    try {
      for (const before of settledBefore) {
        const res = await fetch(`${second.url}/v1/jobs/${before.id}`);
        expect(res.status).toBe(200);
        expect(fateOf((await res.json()) as JobBody)).toEqual(fateOf(before));
      }
      for (const job of acknowledged) {
        const res = await fetch(`${second.url}/v1/jobs/${job.id}?wait=10`, {
          headers: { 'if-none-match': 'W/"1"' },
        });
        expect(res.status).toBe(200);
        const after = (await res.json()) as JobBody;
        expect(after.created_at).toBe(job.created_at);
        expect(['completed', 'error']).toContain(after.status);
        // The finish instant was drawn at creation: within the jitter bounds of the mean.
        const durationMs = Date.parse(after.completed_at ?? '') - Date.parse(job.created_at);
        expect(durationMs).toBeGreaterThanOrEqual(160);
        expect(durationMs).toBeLessThanOrEqual(240);
      }
      // An idempotent retry of an acknowledged create finds the same job after the crash.
      const retry = await fetch(`${second.url}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'job-49' },
        body: JSON.stringify({ source_url: 'https://example.com/49.mp4' }),
      });
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(((await retry.json()) as JobBody).id).toBe(acknowledged[24]!.id);

      // Graceful stop: SIGTERM answers a held long poll, then exits 0 within a few seconds.
      const longJob = (await (
        await fetch(`${second.url}/v1/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ simulate: { duration_ms: 60_000 } }),
        })
      ).json()) as JobBody;
      const held = fetch(`${second.url}/v1/jobs/${longJob.id}`, { headers: { prefer: 'wait=30' } });
      // Give the request time to be held.
      await new Promise((r) => setTimeout(r, 300));
      const started = performance.now();
      const exit = await second.kill('SIGTERM', 10_000);
      expect(exit).toEqual({ code: 0, signal: null });
      // Well under a client's keep-alive timeout (4-5 s), which shutdown must not wait out.
      expect(performance.now() - started).toBeLessThan(2500);
      const res = await held;
      expect(res.status).toBe(200);
      expect(res.headers.get('preference-applied')).toBe('wait=30');
      expect(((await res.json()) as JobBody).status).toBe('pending');
      expect(second.stderr()).toBe('');
    } finally {
      await second.kill('SIGKILL');
    }
  });
});
