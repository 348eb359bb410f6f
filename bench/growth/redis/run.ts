/**
 * One Redis growth run: a scratch redis-server, the jobs written straight into it, then the
 * measurements against the built server. Every process it starts is stopped by pid.
 */
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { freePort, tempDir } from '@vtrans/test-support';
import { jobAt, totalJobs, type JobCounts } from './jobs.js';
import {
  baselineMemory,
  measureEventHistory,
  measureHistoryAfterWrite,
  measureLists,
  measureRedisMemory,
  measureSweep,
  serverRssMb,
  startServerTimed,
  type EventHistory,
  type ListLatency,
  type RedisMemory,
  type SweepResult,
} from './measure.js';
import { populateRedis, type PopulateSummary } from './populate.js';

export interface RedisGrowthOptions {
  counts: JobCounts;
  /** Rounds of list queries (each: every status × every cursor position). */
  listRounds: number;
  ratePerSecond: number;
  retentionMs: number;
}

export const FULL: RedisGrowthOptions = {
  counts: { expired: 100_000, finished: 700_000, finishedWhileDown: 100_000, pending: 100_000 },
  listRounds: 40,
  ratePerSecond: 100,
  retentionMs: 86_400_000,
};

export const QUICK: RedisGrowthOptions = {
  counts: { expired: 500, finished: 3000, finishedWhileDown: 500, pending: 1000 },
  listRounds: 3,
  ratePerSecond: 100,
  retentionMs: 86_400_000,
};

export interface RedisGrowthReport {
  jobs: number;
  retentionHours: number;
  populate: PopulateSummary;
  memory: RedisMemory;
  restart: { liveAfterMs: number; readyAfterMs: number; rssMb: number };
  /** The event stream after a write by a store running with the retention. */
  historyAfterWrites: EventHistory;
  lists: ListLatency[];
  sweep: SweepResult;
  historyAfterSweep: EventHistory;
  memoryAfterSweep: RedisMemory;
}

/** A memory-only redis-server (no persistence: the data set is rebuilt every run). */
async function startRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const dir = tempDir('vtrans-growth-redis-');
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { cwd: dir, stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ping = spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' });
    if (ping.stdout?.trim() === 'PONG') break;
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error('redis-server did not start');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, stop };
}

export async function runRedisGrowth(
  options: RedisGrowthOptions,
  log: (line: string) => void = () => {},
): Promise<RedisGrowthReport> {
  const redis = await startRedis();
  const tenant = 'public';
  const now = Date.now();
  const plan = {
    counts: options.counts,
    tenant,
    now,
    retentionMs: options.retentionMs,
    ratePerSecond: options.ratePerSecond,
  };
  const total = totalJobs(options.counts);
  try {
    const baseline = await baselineMemory(redis.url);
    log(`populating ${total} jobs`);
    const populate = await populateRedis({ ...plan, url: redis.url, log });
    log(`populated in ${populate.elapsedMs} ms; measuring memory`);
    const memory = await measureRedisMemory(redis.url, 'vt:', baseline);
    log('starting the server (restart with everything stored)');
    // A year's retention: the server's own sweep deletes nothing; the bench runs the sweep itself.
    const server = await startServerTimed(redis.url, { VT_RETENTION: '365d' });
    try {
      const restart = {
        liveAfterMs: server.liveAfterMs,
        readyAfterMs: server.readyAfterMs,
        rssMb: serverRssMb(server.pid),
      };
      log(`ready after ${restart.readyAfterMs} ms; letting the catch-up finish`);
      await new Promise((r) => setTimeout(r, 2000));
      const historyAfterWrites = await measureHistoryAfterWrite(
        redis.url,
        tenant,
        options.retentionMs,
      );
      // Cursor positions: the first page, and jobs a tenth, half and nearly all the way down.
      const positions = [0.9, 0.5, 0.01].map((f) => jobAt(plan, Math.floor(total * f)));
      const cursors = [undefined, ...positions.map((r) => ({ createdAt: r.createdAt, id: r.id }))];
      log('measuring list queries');
      const lists = await measureLists(server.url, redis.url, cursors, options.listRounds);
      log('measuring a retention sweep');
      const probeJob = jobAt(plan, total - 1).id;
      const sweep = await measureSweep(redis.url, Date.now() - options.retentionMs, {
        serverUrl: server.url,
        jobId: probeJob,
      });
      const historyAfterSweep = await measureEventHistory(
        redis.url,
        tenant,
        Date.now(),
        options.retentionMs,
      );
      const memoryAfterSweep = await measureRedisMemory(redis.url, 'vt:', baseline);
      return {
        jobs: total,
        retentionHours: options.retentionMs / 3_600_000,
        populate,
        memory,
        restart,
        historyAfterWrites,
        lists,
        sweep,
        historyAfterSweep,
        memoryAfterSweep,
      };
    } finally {
      await server.stop();
    }
  } finally {
    await redis.stop();
  }
}
