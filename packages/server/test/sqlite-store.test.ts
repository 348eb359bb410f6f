import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { eventForStep } from '../src/sim/job-events.js';
import { TERMINAL_STEP, type JobRecord } from '../src/sim/job-model.js';
import { RecordCache } from '../src/store/record-cache.js';
import { openDatabase, PAGE_CACHE_KIB } from '../src/store/sqlite-schema.js';
import { FALLBACK_CHECKPOINT_PAGES } from '../src/store/sqlite-checkpointer.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { AdaptiveBatch } from '../src/adaptive-batch.js';
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

/** `n` jobs whose rows carry a source URL of about `urlBytes` (rows of a page or so each). */
function wideRecords(n: number, urlBytes: number, overrides: Partial<JobRecord> = {}): JobRecord[] {
  return Array.from({ length: n }, (_, i) =>
    record(`job_${String(i).padStart(5, '0')}`, {
      sourceUrl: `https://media.example.com/${'x'.repeat(urlBytes)}/${i}.mp4`,
      ...overrides,
    }),
  );
}

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

  it('reads a long list of jobs a slice per turn, and a batch read of 100 ids in one', async () => {
    const path = dbPath();
    const first = new SqliteStore(path);
    const recs = Array.from({ length: 3000 }, (_, i) =>
      record(`job_${String(i).padStart(5, '0')}`),
    );
    for (const r of recs) await created(first, r);
    await first.close();
    // A new store: nothing cached, every record is read from the file.
    const store = new SqliteStore(path);
    /** The records `getJobs` answers, and how many other turns of the event loop ran meanwhile. */
    const read = async (ids: string[]) => {
      let turns = 0;
      let reading = true;
      const tick = () => {
        if (!reading) return;
        turns++;
        setImmediate(tick);
      };
      setImmediate(tick);
      const found = await store.getJobs(ids);
      reading = false;
      return { ids: found.map((r) => r.id).sort(), turns };
    };
    const hundred = recs.slice(0, 100).map((r) => r.id);
    expect(await read(hundred)).toEqual({ ids: hundred, turns: 0 });
    const rest = recs.slice(100).map((r) => r.id);
    const long = await read(rest);
    expect(long.ids).toEqual(rest);
    expect(long.turns).toBeGreaterThan(0);
    await store.close();
  });

  it("caches the records of a client's batch read, not those of a longer read (a catch-up)", async () => {
    const path = dbPath();
    const first = new SqliteStore(path);
    const ids = Array.from({ length: 300 }, (_, i) => `job_${String(i).padStart(5, '0')}`);
    for (const id of ids) await created(first, record(id));
    await first.close();
    const store = new SqliteStore(path);
    expect(await store.getJobs(ids.slice(0, 100))).toHaveLength(100);
    expect(await store.getJobs(ids.slice(100))).toHaveLength(200);
    // Changed behind the store's back: a cached record still shows what the store last knew.
    const other = new Database(path);
    other.prepare("UPDATE jobs SET target_language = 'fr'").run();
    other.close();
    expect((await store.getJob(ids[0]!))?.targetLanguage).toBe('de');
    expect((await store.getJob(ids[99]!))?.targetLanguage).toBe('de');
    expect((await store.getJob(ids[100]!))?.targetLanguage).toBe('fr');
    expect((await store.getJob(ids[299]!))?.targetLanguage).toBe('fr');
    await store.close();
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

describe('the SQLite file over time', () => {
  it('opens its connection with a 64 MB page cache (a write of hundreds of steps fits in it)', async () => {
    const db = openDatabase(dbPath());
    try {
      expect(db.pragma('cache_size', { simple: true })).toBe(-PAGE_CACHE_KIB);
      expect(PAGE_CACHE_KIB).toBe(64 * 1024);
    } finally {
      db.close();
    }
  });

  it('copies the write-ahead log into the file in the background, not while committing', async () => {
    const path = dbPath();
    const store = new SqliteStore(path);
    const fileBytes = () => statSync(path).size;
    const before = fileBytes();
    // A few MB of writes: far below the size at which a commit would checkpoint by itself.
    for (let i = 0; i < 300; i++)
      await created(
        store,
        record(`job_${String(i).padStart(4, '0')}`, {
          sourceUrl: `https://media.example.com/${'x'.repeat(8000)}/${i}.mp4`,
        }),
      );
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(2_000_000);
    await expect.poll(fileBytes, { timeout: 5000 }).toBeGreaterThan(before + 2_000_000);
    await store.close();
  });

  it('lets the log be copied between the chunks of a long run of step writes, so it stays short', async () => {
    const path = dbPath();
    const first = new SqliteStore(path);
    // Rows of about two pages each: every step written rewrites two pages of its own.
    const recs = wideRecords(4000, 7000);
    for (const r of recs) await created(first, r);
    // Closing copies the log and removes it: the steps below start a new one.
    await first.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
    const store = new SqliteStore(path);
    // Five steps per job in one call each, as a catch-up writes them: about 160 MB through the log.
    for (const step of [1, 2, 3, 4, 5])
      await store.emitSteps(
        recs.map((r) => ({ id: r.id, step, event: eventForStep(r, step, T0 + step) })),
      );
    expect((await store.getJob('job_03999'))?.emittedStep).toBe(5);
    // The log's file keeps its largest size: past 64 MB the writer waited for the copy, so the
    // log started over instead of growing to the 128 MB at which a commit would copy it.
    expect(statSync(`${path}-wal`).size).toBeLessThan(FALLBACK_CHECKPOINT_PAGES * 4096 * 0.75);
    await store.close();
  });

  it('copies the log from a thread that yields the core to the one answering requests (Linux)', async () => {
    if (process.platform !== 'linux') return;
    /** This process's threads at nice 10. */
    const niced = () =>
      readdirSync('/proc/self/task').filter((tid) => {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        // Fields after the command's closing parenthesis start at the third; nice is the 19th.
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) === 10;
      }).length;
    const before = niced();
    const store = new SqliteStore(dbPath());
    await expect.poll(niced, { timeout: 5000 }).toBe(before + 1);
    await store.close();
    expect(niced()).toBe(before);
  });

  it('sizes its batches in whole rows, growing while quick and shrinking while slow', () => {
    const batch = new AdaptiveBatch(100, 5000, 8, 500);
    expect(batch.took(500, 1)).toBe(1000);
    expect(batch.took(1000, 8)).toBe(1000);
    // A short last step (fewer items than asked) says nothing about a full one.
    expect(batch.took(10, 1)).toBe(1000);
    for (let i = 0; i < 10; i++) {
      const n = batch.took(batch.size, 100);
      expect(Number.isInteger(n) && n >= 100).toBe(true);
    }
    expect(batch.size).toBe(100);
    for (let i = 0; i < 10; i++) batch.took(batch.size, 1);
    expect(batch.size).toBe(5000);
  });

  it('hands the pages a sweep frees back to the system (a new file auto-vacuums incrementally)', async () => {
    const path = dbPath();
    const store = new SqliteStore(path);
    const recs = wideRecords(3000, 2000, { finishAt: T0 + 1000 });
    for (const r of recs) await created(store, r);
    await store.emitSteps(
      recs.map((r) => ({
        id: r.id,
        step: TERMINAL_STEP,
        event: eventForStep(r, TERMINAL_STEP, T0 + 1000),
      })),
    );
    const pages = () => {
      const raw = new Database(path, { readonly: true });
      try {
        return raw.pragma('page_count', { simple: true }) as number;
      } finally {
        raw.close();
      }
    };
    const full = pages();
    expect(await store.purgeExpired(T0 + 2000, [])).toBe(3000);
    expect(await store.getJob('job_00000')).toBeNull();
    await store.close();
    const check = new Database(path, { readonly: true });
    expect(check.pragma('auto_vacuum', { simple: true })).toBe(2);
    check.close();
    expect(pages()).toBeLessThan(full / 2);
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

describe('the SQLite schema', () => {
  const fixture = (name: string) =>
    readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), 'utf8');

  /** A file as an older server left it: its schema, one job, its key and its events. */
  function oldFile(version: 1 | 2): { path: string; rec: JobRecord } {
    const path = dbPath();
    const raw = new Database(path);
    raw.pragma('journal_mode = WAL');
    raw.exec(fixture('sqlite-schema-v1.sql'));
    if (version === 2) raw.exec(fixture('sqlite-schema-v2.sql'));
    const rec = record('job_old', {
      finishAt: T0 + 60_000,
      callbackUrl: 'https://hooks.example.com/vtrans',
      callbackEvents: null,
      emittedStep: 1,
    });
    raw
      .prepare(
        `INSERT INTO jobs VALUES (@id, @tenant, @source_url, @target_language,
      @callback_url, @callback_events, @created_at, @eta_at, @finish_at, @outcome, @error_code,
      @error_message, @canceled_at, @emitted_step)`,
      )
      .run({
        id: rec.id,
        tenant: rec.tenant,
        source_url: rec.sourceUrl,
        target_language: rec.targetLanguage,
        callback_url: rec.callbackUrl,
        callback_events: null,
        created_at: rec.createdAt,
        eta_at: rec.etaAt,
        finish_at: rec.finishAt,
        outcome: rec.outcome,
        error_code: null,
        error_message: null,
        canceled_at: null,
        emitted_step: 1,
      });
    const created = eventForStep(rec, 0, T0);
    raw
      .prepare('INSERT INTO idempotency_keys VALUES (?, ?, ?, ?, ?)')
      .run(rec.tenant, 'key-1', 'fp-1', JSON.stringify(created.data), T0);
    const insertEvent = raw.prepare(
      'INSERT INTO events (id_ms, at, tenant, job_id, type, data) VALUES (?, ?, ?, ?, ?, ?)',
    );
    for (const e of [created, eventForStep(rec, 1, T0 + 3000)])
      insertEvent.run(e.at, e.at, e.tenant, e.jobId, e.type, JSON.stringify(e.data));
    raw.pragma(`user_version = ${version}`);
    raw.close();
    return { path, rec };
  }

  it.each([1, 2] as const)(
    'brings a version %i file to version 3, keeping its jobs, keys and events',
    async (version) => {
      const { path, rec } = oldFile(version);
      const store = new SqliteStore(path);
      expect(await store.getJob('job_old')).toEqual({ ...rec, emittedStep: 1 });
      // Its key still answers with the job it made; its events still carry their jobs.
      const again = jobRecord('job_new', { tenant: rec.tenant });
      expect(
        await store.createJob(again, eventForStep(again, 0, T0), {
          key: 'key-1',
          fingerprint: 'fp-1',
        }),
      ).toEqual({ kind: 'replayed', response: eventForStep(rec, 0, T0).data });
      const before = await store.readEvents(rec.tenant, undefined, 10);
      expect(before.map((e) => e.data)).toEqual([
        eventForStep(rec, 0, T0).data,
        eventForStep(rec, 1, T0 + 3000).data,
      ]);
      // The new indexes answer filtered lists and the work list; the webhook tables exist.
      expect(
        (await store.listJobs({ tenant: rec.tenant, status: 'pending', now: T0, limit: 5 })).map(
          (r) => r.id,
        ),
      ).toEqual(['job_old']);
      expect((await store.unfinishedJobs(undefined, 10)).records.map((r) => r.id)).toEqual([
        'job_old',
      ]);
      await store.cancelJob('job_old', T0 + 5000, (c) => eventForStep(c, TERMINAL_STEP, T0 + 5000));
      expect(await store.listDeliveries('job_old')).toHaveLength(1);
      const events = await store.readEvents(rec.tenant, undefined, 10);
      expect(events.map((e) => e.type)).toEqual(['job.created', 'job.updated', 'job.canceled']);
      // Written before the cancellation, the update still shows the job pending.
      expect(events[1]?.data.status).toBe('pending');
      expect(events[2]?.data.status).toBe('canceled');
      await store.close();
      const check = new Database(path);
      expect(check.pragma('user_version', { simple: true })).toBe(3);
      check.close();
    },
  );

  it('refuses a file from a newer server with one clear message', () => {
    const path = dbPath();
    const raw = new Database(path);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => new SqliteStore(path)).toThrow(
      `The database at ${path} has schema version 99; this server knows 3`,
    );
  });
});
