import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventForStep } from '../src/sim/job-events.js';
import { TERMINAL_STEP, type JobRecord } from '../src/sim/job-model.js';
import { RecordCache } from '../src/store/record-cache.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { jobRecord, T0 } from './helpers/records.js';
import { spawnServer, tempDir } from '@vtrans/test-support';

/** Pending for 10 s, in German, with a callback filter (an array the store must keep intact). */
const record = (id: string, overrides: Partial<JobRecord> = {}): JobRecord =>
  jobRecord(id, {
    targetLanguage: 'de',
    callbackEvents: ['job.completed'],
    etaAt: T0 + 10_000,
    finishAt: T0 + 10_000,
    ...overrides,
  });

const dbPath = () => join(mkdtempSync(join(tmpdir(), 'vt-sqlite-')), 'vtrans.db');

async function created(store: SqliteStore, rec: JobRecord): Promise<void> {
  const result = await store.createJob(rec, eventForStep(rec, 0, rec.createdAt));
  expect(result.kind).toBe('created');
}

describe('the SQLite store keeps job records in memory, written through', () => {
  it('answers a read after each kind of write with the written record, never a stale cached one', async () => {
    const store = new SqliteStore(dbPath());
    const a = record('job_a');
    await created(store, a);
    expect(await store.getJob('job_a')).toEqual(a);

    await store.emitSteps([{ id: 'job_a', step: 2, event: eventForStep(a, 2, T0 + 2500) }]);
    expect((await store.getJob('job_a'))?.emittedStep).toBe(2);

    const canceled = await store.cancelJob('job_a', T0 + 3000, (r) =>
      eventForStep(r, TERMINAL_STEP, T0 + 3000),
    );
    expect(canceled.kind).toBe('canceled');
    expect(await store.getJob('job_a')).toMatchObject({
      canceledAt: T0 + 3000,
      emittedStep: TERMINAL_STEP,
    });
    expect(await store.getJobs(['job_a', 'job_a', 'job_missing'])).toEqual([
      await store.getJob('job_a'),
    ]);

    // Retention deletes rows in SQL; the cached copy must go with them.
    expect(await store.purgeExpired(T0 + 60_000, [])).toBe(1);
    expect(await store.getJob('job_a')).toBeNull();
    expect(await store.getJobs(['job_a'])).toEqual([]);
    await store.close();
  });

  it('hands out frozen records, so a caller cannot change what the next reader sees', async () => {
    const store = new SqliteStore(dbPath());
    const b = record('job_b');
    await created(store, b);
    b.outcome = 'error'; // the caller's own object stays the caller's
    const read = (await store.getJob('job_b'))!;
    expect(read.outcome).toBe('completed');
    expect(() => {
      read.canceledAt = 1;
    }).toThrow(TypeError);
    expect(() => read.callbackEvents?.push('job.failed')).toThrow(TypeError);
    expect(await store.getJob('job_b')).toMatchObject({
      canceledAt: null,
      callbackEvents: ['job.completed'],
    });
    await store.close();
  });

  it('reads from the file what an earlier server wrote (the cache is never the only copy)', async () => {
    const path = dbPath();
    const first = new SqliteStore(path);
    await created(first, record('job_c'));
    await first.emitSteps([
      {
        id: 'job_c',
        step: TERMINAL_STEP,
        event: eventForStep(record('job_c'), TERMINAL_STEP, T0 + 10_000),
      },
    ]);
    await first.close();
    const second = new SqliteStore(path);
    expect(await second.getJob('job_c')).toEqual(record('job_c', { emittedStep: TERMINAL_STEP }));
    await second.close();
  });

  it('evicts the records written or loaded longest ago beyond its capacity', () => {
    const cache = new RecordCache(2);
    cache.set(record('job_1'));
    cache.set(record('job_2'));
    cache.set(record('job_1')); // rewritten: now the newest
    cache.set(record('job_3'));
    expect(cache.size).toBe(2);
    expect(cache.get('job_2')).toBeUndefined();
    expect(cache.get('job_1')?.id).toBe('job_1');
    expect(cache.get('job_3')?.id).toBe('job_3');
    cache.update('job_2', { emittedStep: 3 }); // not cached: stays uncached
    expect(cache.get('job_2')).toBeUndefined();
  });
});

describe('one server per SQLite file', () => {
  it('refuses a second store on a file that is open, and takes the file once it is closed', async () => {
    const path = dbPath();
    const first = new SqliteStore(path);
    expect(() => new SqliteStore(path)).toThrow(
      `${path} is in use by another vtrans server; run one server per SQLite file, or share a VT_STORE=redis://… store between several`,
    );
    await first.close();
    const again = new SqliteStore(path);
    await again.close();
    expect(existsSync(`${path}-owner`)).toBe(true);
  });

  it('a second server process on the same file exits 1 with one line; a kill -9 frees the file', async () => {
    const env = { VT_STORE: `sqlite:${join(tempDir(), 'shared.db')}` };
    const first = await spawnServer({ env });
    const second = await spawnServer({ env, waitReady: false });
    const exit = await second.exited;
    expect(exit.code).toBe(1);
    const lines = second.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^vtrans: could not start the server: .*shared\.db is in use by another vtrans server;/,
    );
    await first.kill('SIGKILL');
    const third = await spawnServer({ env });
    expect((await fetch(`${third.url}/readyz`)).status).toBe(200);
    await third.kill();
  });
});
