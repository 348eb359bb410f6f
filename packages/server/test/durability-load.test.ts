/**
 * Durability under load: the built server on a SQLite file, 50 clients creating jobs as fast as
 * they can (each with an Idempotency-Key, some sent twice), `kill -9` mid-run, a restart on the
 * same file. Every create that got a 201 must be readable with the same fate, and no idempotency
 * key may map to two jobs.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnServer, tempDir } from '@vtrans/test-support';

const CLIENTS = 50;
/** The kill comes once this many creates were acknowledged (or after `MAX_LOAD_MS`). */
const ACKED_BEFORE_KILL = 150;
const MAX_LOAD_MS = 10_000;

interface Job {
  id: string;
  status: string;
  source_url: string | null;
  created_at: string;
  eta: string | null;
  completed_at: string | null;
}

interface Sent {
  key: string;
  body: string;
  outcome: 'completed' | 'error';
  durationMs: number;
  acked?: Job;
  /** Both answers of a key sent twice must name the same job. */
  ackedTwice?: Job;
}

async function post(url: string, key: string, body: string): Promise<Response> {
  return fetch(`${url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body,
    // Generous: the point is what survives, not how fast a loaded machine answers.
    signal: AbortSignal.timeout(30_000),
  });
}

/** Runs `fn` over `items`, a few at a time. */
async function inPool<T>(items: T[], fn: (item: T) => Promise<void>, size = 10): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

describe('durability under load', () => {
  it('keeps every acknowledged job and one job per idempotency key across kill -9', async () => {
    const dir = tempDir('vtrans-durability-');
    const env = {
      VT_STORE: `sqlite:${join(dir, 'vtrans.db')}`,
      TRANSLATION_DELAY: '200',
      VT_SEED: 'durable',
    };
    const first = await spawnServer({ env, cwd: dir });
    const sent: Sent[] = [];
    let stop = false;
    let killed = false;
    const client = async (c: number) => {
      for (let n = 0; !stop; n++) {
        const outcome = (c + n) % 3 === 0 ? 'error' : 'completed';
        const key = `client${c}-req${n}`;
        const durationMs = (n * 37) % 300;
        const body = JSON.stringify({
          source_url: `https://videos.example/${key}`,
          target_language: 'es',
          simulate: { duration_ms: durationMs, outcome },
        });
        const entry: Sent = { key, body, outcome, durationMs };
        sent.push(entry);
        try {
          const res = await post(first.url, key, body);
          if (res.status === 201) entry.acked = (await res.json()) as Job;
          else await res.body?.cancel();
          // Every fifth create is retried with the same key, as a client whose answer was lost would.
          if (n % 5 === 0 && entry.acked) {
            const again = await post(first.url, key, body);
            if (again.status === 201) {
              expect(again.headers.get('idempotent-replayed')).toBe('true');
              entry.ackedTwice = (await again.json()) as Job;
            } else await again.body?.cancel();
          }
        } catch (err) {
          // The kill: this create's fate is unknown to the client, and is checked below.
          if (!killed)
            throw new Error(
              `create failed before the kill: ${key}: ${String((err as Error).cause ?? err)}`,
            );
        }
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));
    const loadStarted = Date.now();
    while (
      sent.filter((s) => s.acked).length < ACKED_BEFORE_KILL &&
      Date.now() - loadStarted < MAX_LOAD_MS
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    killed = true;
    expect(await first.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    stop = true;
    await Promise.all(clients);

    const acked = sent.filter((s) => s.acked);
    const unknown = sent.filter((s) => !s.acked);
    expect(acked.length).toBeGreaterThan(CLIENTS); // the load really ran
    // Every client had a create in flight at the kill.
    expect(unknown.length).toBeGreaterThan(0);
    for (const s of sent) if (s.ackedTwice) expect(s.ackedTwice.id).toBe(s.acked?.id);

    const second = await spawnServer({ env, cwd: dir });
    try {
      // Every acknowledged job is there, with the fate it was created with.
      await inPool(acked, async (s) => {
        const res = await fetch(`${second.url}/v1/jobs/${s.acked!.id}?wait=5`);
        expect(res.status, s.key).toBe(200);
        const job = (await res.json()) as Job;
        expect(job.source_url).toBe(`https://videos.example/${s.key}`);
        expect(job.created_at).toBe(s.acked!.created_at);
        // The finish instant drawn at creation (a pinned duration is exact) survived too.
        expect(job.completed_at).toBe(
          new Date(Date.parse(s.acked!.created_at) + s.durationMs).toISOString(),
        );
        expect(job.status, s.key).toBe(s.outcome);
      });
      // A retry of any key — acknowledged or lost in the kill — names one job, now and again.
      await inPool(sent, async (s) => {
        const a = await post(second.url, s.key, s.body);
        expect(a.status).toBe(201);
        const jobA = (await a.json()) as Job;
        if (s.acked) {
          expect(a.headers.get('idempotent-replayed')).toBe('true');
          expect(jobA.id).toBe(s.acked.id);
        }
        const b = await post(second.url, s.key, s.body);
        expect(b.headers.get('idempotent-replayed')).toBe('true');
        expect(((await b.json()) as Job).id).toBe(jobA.id);
      });
      // And the store holds exactly one job per key.
      const perKey = new Map<string, number>();
      let cursor: string | null = null;
      do {
        const page = (await (
          await fetch(`${second.url}/v1/jobs?limit=100${cursor ? `&cursor=${cursor}` : ''}`)
        ).json()) as { data: Job[]; next_cursor: string | null };
        for (const job of page.data) {
          if (!job.source_url) continue;
          perKey.set(job.source_url, (perKey.get(job.source_url) ?? 0) + 1);
        }
        cursor = page.next_cursor;
      } while (cursor);
      expect(perKey.size).toBe(sent.length);
      expect([...perKey.values()].every((n) => n === 1)).toBe(true);
      console.log(
        `durability: ${acked.length} acknowledged creates, ${unknown.length} in flight at kill -9, 0 lost, ${perKey.size} keys → ${perKey.size} jobs`,
      );
    } finally {
      await second.kill('SIGTERM');
    }
  }, 60_000);
});
