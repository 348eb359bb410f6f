/**
 * Listing on the Redis store with more jobs than one script call examines, and more jobs off their
 * index than it reads as a sorted list: every status, at instants before, amid and after the jobs'
 * finishes, paged through to the end by cursor, must equal the records filtered and sorted in
 * JavaScript (the definition every store keeps).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventForStep } from '../src/sim/job-events.js';
import { statusAt, TERMINAL_STEP, type JobRecord, type JobStatus } from '../src/sim/job-model.js';
import { RedisStore } from '../src/store/redis-store.js';
import { compareNewestFirst } from '../src/store/status-filter.js';
import { needs, startRedis } from '@vtrans/test-support';
import { jobRecord, T0 } from './helpers/records.js';

const hasRedis = needs('redis', 'listing on the Redis store');

const created = (r: JobRecord) => eventForStep(r, 0, r.createdAt);

/** Deterministic draws, so a failure can be replayed. */
function draws(seed: number): () => number {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0;
    return s / 2 ** 32;
  };
}

describe.skipIf(!hasRedis)('Redis store listings at size', () => {
  let store: RedisStore;
  let redisUrl: string;
  const records: JobRecord[] = [];

  beforeAll(async () => {
    const redis = await startRedis();
    redisUrl = redis.url;
    store = await RedisStore.connect(redis.url, { retentionMs: 3_600_000 });
    const random = draws(7);
    // 4,000 jobs of one tenant (three created per millisecond: ties are broken by id) and a few
    // of another. Half finish early and have their terminal event written — or a cancel — and half
    // are still unfinished in the store; some of those finish within the window listed below.
    for (let i = 0; i < 4000; i++) {
      const createdAt = T0 + Math.floor(i / 3);
      const r = jobRecord(`job_${String(Math.floor(random() * 1e9)).padStart(9, '0')}_${i}`, {
        tenant: i % 50 === 0 ? 'globex' : 'acme',
        createdAt,
        etaAt: createdAt + 1000,
        finishAt: createdAt + (i % 2 === 0 ? 100 : 2000 + Math.floor(random() * 4000)),
        outcome: random() < 0.2 ? 'error' : 'completed',
        errorCode: null,
      });
      records.push(r);
    }
    for (let i = 0; i < records.length; i += 200)
      await Promise.all(records.slice(i, i + 200).map((r) => store.createJob(r, created(r))));
    const settle: JobRecord[] = [];
    for (const [i, r] of records.entries()) {
      if (i % 2 !== 0) continue;
      if (i % 7 === 0) {
        const at = r.createdAt + 50;
        const result = await store.cancelJob(r.id, at, (c) => eventForStep(c, TERMINAL_STEP, at));
        if (result.kind !== 'canceled') throw new Error(result.kind);
        r.canceledAt = at;
        r.emittedStep = TERMINAL_STEP;
      } else settle.push(r);
    }
    // Every tenth terminal event is written a hair early (as a timer may fire): its job stays
    // pending until its finish instant though it left the unfinished index.
    await store.emitSteps(
      settle.map((r, i) => ({
        id: r.id,
        step: TERMINAL_STEP,
        event: eventForStep(r, TERMINAL_STEP, i % 10 === 0 ? r.finishAt - 1 : r.finishAt),
      })),
    );
    for (const r of settle) r.emittedStep = TERMINAL_STEP;
  }, 60_000);

  afterAll(async () => {
    await store?.close();
  });

  const expected = (tenant: string, status: JobStatus | undefined, now: number) =>
    records
      .filter((r) => r.tenant === tenant && (status === undefined || statusAt(r, now) === status))
      .sort(compareNewestFirst)
      .map((r) => r.id);

  async function pageThrough(
    tenant: string,
    status: JobStatus | undefined,
    now: number,
    limit: number,
  ): Promise<string[]> {
    const out: string[] = [];
    let before: { createdAt: number; id: string } | undefined;
    for (;;) {
      const page = await store.listJobs({ tenant, status, now, limit, before });
      out.push(...page.map((r) => r.id));
      const last = page.at(-1);
      if (page.length < limit || !last) return out;
      before = { createdAt: last.createdAt, id: last.id };
    }
  }

  // Instants: everything pending but the canceled; hundreds of jobs pending though their terminal
  // event is written (the early and the newest); a few of those; amid the finishes (many jobs past
  // their finish with their terminal event unwritten); everything finished.
  const instants = {
    start: T0 + 60,
    early: T0 + 199,
    late: T0 + 1300,
    amid: T0 + 2500,
    end: T0 + 10_000,
  };

  for (const [name, now] of Object.entries(instants)) {
    for (const status of [undefined, 'pending', 'completed', 'error', 'canceled'] as const) {
      it(`pages through status=${status ?? 'any'} at ${name} exactly as filtered and sorted`, async () => {
        const want = expected('acme', status, now);
        expect(await pageThrough('acme', status, now, 50)).toEqual(want);
        expect(await pageThrough('acme', status, now, 7)).toEqual(want);
      });
    }
  }

  it('keeps tenants apart and answers an empty page past the end', async () => {
    expect(await pageThrough('globex', undefined, instants.amid, 10)).toEqual(
      expected('globex', undefined, instants.amid),
    );
    const oldest = records
      .filter((r) => r.tenant === 'acme')
      .sort(compareNewestFirst)
      .at(-1)!;
    const before = { createdAt: oldest.createdAt, id: oldest.id };
    expect(await store.listJobs({ tenant: 'acme', now: instants.end, limit: 10, before })).toEqual(
      [],
    );
    expect(await store.listJobs({ tenant: 'nobody', now: instants.end, limit: 10 })).toEqual([]);
  });

  it('starts a page from any cursor, also one naming no stored job', async () => {
    const now = instants.amid;
    for (const status of [undefined, 'pending', 'completed'] as const) {
      const all = expected('acme', status, now);
      const from = records.filter((r) => r.tenant === 'acme').sort(compareNewestFirst)[600]!;
      const before = { createdAt: from.createdAt, id: `${from.id}~` };
      const page = await store.listJobs({ tenant: 'acme', status, now, limit: 30, before });
      const rest = all.filter((id) => {
        const r = records.find((x) => x.id === id)!;
        return (
          r.createdAt < before.createdAt || (r.createdAt === before.createdAt && id < before.id)
        );
      });
      expect(page.map((r) => r.id)).toEqual(rest.slice(0, 30));
    }
  });

  it('continues a page whose matches lie beyond what one script call examines', async () => {
    const admin = new Redis(redisUrl);
    const scriptCalls = async () =>
      Number(/cmdstat_evalsha:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);
    try {
      // At the start nothing is completed yet: over a thousand settled jobs are examined in vain.
      const before = await scriptCalls();
      expect(
        await store.listJobs({
          tenant: 'acme',
          status: 'completed',
          now: instants.start,
          limit: 5,
        }),
      ).toEqual([]);
      expect((await scriptCalls()) - before).toBeGreaterThan(1);
    } finally {
      admin.disconnect();
    }
  });

  it('answers records exactly as stored', async () => {
    const page = await store.listJobs({ tenant: 'acme', now: instants.end, limit: 100 });
    for (const r of page) expect(r).toEqual(records.find((x) => x.id === r.id));
  });
});
