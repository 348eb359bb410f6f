/**
 * What a Redis growth run measures: Redis memory by key kind, list-query latency through a real
 * server, a retention sweep (its duration and what it does to everyone else meanwhile), a restart's
 * time to ready, and how much event history the store keeps.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { LIST_JOBS_LUA } from '../../../packages/server/src/store/redis-list.js';
import { RedisStore } from '../../../packages/server/src/store/redis-store.js';
import { DEFAULT_CONFIG } from '../../../packages/server/src/config.js';
import { eventForStep } from '../../../packages/server/src/sim/job-events.js';
import { drawJob } from '../../../packages/server/src/sim/simulator.js';
import { freePort, tempDir } from '@vtrans/test-support';
import { rssBytes, SERVER_MAIN } from '../../capacity/processes.js';

export interface KeyKindMemory {
  /** The key's kind: its first segment after the prefix (`job`, `jobs`, `events`, …). */
  kind: string;
  keys: number;
  bytes: number;
  /** Stream entries or sorted-set / set members, summed over the keys (0 for strings and hashes). */
  entries: number;
}

export interface RedisMemory {
  /** `used_memory` of INFO minus that of the empty server. */
  usedBytes: number;
  byKind: KeyKindMemory[];
}

const pct = (sorted: number[], p: number): number =>
  sorted.length === 0
    ? 0
    : (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0);

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

/** The empty server's `used_memory`, to subtract (call before populating). */
export async function baselineMemory(url: string): Promise<number> {
  const redis = new Redis(url);
  try {
    return await usedMemory(redis);
  } finally {
    redis.disconnect();
  }
}

/** `MEMORY USAGE` of every key under the prefix (exact: SAMPLES 0), summed by key kind. */
export async function measureRedisMemory(
  url: string,
  prefix = 'vt:',
  baselineBytes = 0,
): Promise<RedisMemory> {
  const redis = new Redis(url);
  try {
    const kinds = new Map<string, KeyKindMemory>();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000);
      cursor = next;
      const pipe = redis.pipeline();
      for (const key of keys) {
        pipe.memory('USAGE', key, 'SAMPLES', 0);
        pipe.type(key);
      }
      const replies = (await pipe.exec()) ?? [];
      const sizes = redis.pipeline();
      keys.forEach((key, i) => {
        const type = replies[2 * i + 1]?.[1];
        if (type === 'stream') sizes.xlen(key);
        else if (type === 'zset') sizes.zcard(key);
        else if (type === 'set') sizes.scard(key);
        else sizes.echo('0');
      });
      const counts = (await sizes.exec()) ?? [];
      keys.forEach((key, i) => {
        const kind = key.slice(prefix.length).split(':')[0] ?? key;
        const entry = kinds.get(kind) ?? { kind, keys: 0, bytes: 0, entries: 0 };
        entry.keys++;
        entry.bytes += Number(replies[2 * i]?.[1] ?? 0);
        entry.entries += Number(counts[i]?.[1] ?? 0);
        kinds.set(kind, entry);
      });
    } while (cursor !== '0');
    return {
      usedBytes: (await usedMemory(redis)) - baselineBytes,
      byKind: [...kinds.values()].sort((a, b) => b.bytes - a.bytes),
    };
  } finally {
    redis.disconnect();
  }
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
}

function summarize(ms: number[], errors: number): LatencySummary {
  const sorted = [...ms].sort((a, b) => a - b);
  const r = (n: number) => Math.round(n * 10) / 10;
  return {
    count: sorted.length,
    p50Ms: r(pct(sorted, 0.5)),
    p99Ms: r(pct(sorted, 0.99)),
    maxMs: r(sorted.at(-1) ?? 0),
    errors,
  };
}

export interface ListProbe {
  status: string | undefined;
  /** Where the page starts: a job the cursor names, or none for the first page. */
  cursor: { createdAt: number; id: string } | undefined;
  label: string;
}

export interface ListLatency extends LatencySummary {
  status: string;
  /** Redis's own time per query (every command it ran for the query, from INFO commandstats). */
  redisUsP50: number;
  redisUsP99: number;
  /** Jobs the last answer held (a page should be full unless the list ends). */
  lastPageSize: number;
}

const encodeCursor = (c: { createdAt: number; id: string }): string =>
  Buffer.from(JSON.stringify([c.createdAt, c.id])).toString('base64url');

/**
 * Redis's slow log, set to record every command: what each one cost Redis itself (its execution
 * time, which a busy machine disturbs far less than a round trip). The bench's own redis-server.
 */
class CommandLog {
  constructor(private readonly redis: Redis) {}

  async start(slowerThanUs = 0): Promise<void> {
    await this.redis.config('SET', 'slowlog-log-slower-than', String(slowerThanUs));
    await this.redis.config('SET', 'slowlog-max-len', '100000');
    await this.redis.slowlog('RESET');
  }

  /** The commands logged since the last read: name (lower case), first argument, microseconds. */
  async take(): Promise<{ command: string; arg: string; us: number }[]> {
    const entries = (await this.redis.slowlog('GET', -1)) as [number, number, number, string[]][];
    await this.redis.slowlog('RESET');
    return entries
      .map(([, , us, args]) => ({ command: (args[0] ?? '').toLowerCase(), arg: args[1] ?? '', us }))
      .filter((e) => e.command !== 'slowlog' && e.command !== 'config');
  }

  async stop(): Promise<void> {
    await this.redis.config('SET', 'slowlog-log-slower-than', '10000');
  }
}

/** Whether a logged command served a listing (the list script, or the reads an older store made). */
function servesListing(e: { command: string; arg: string }): boolean {
  if (e.command === 'evalsha' || e.command === 'eval') return e.arg === LIST_SCRIPT_SHA;
  return e.command === 'zrange' || e.command === 'hgetall';
}

const LIST_SCRIPT_SHA = createHash('sha1').update(LIST_JOBS_LUA).digest('hex');

/**
 * `GET /v1/jobs` with each status filter (and none), from each cursor position, `rounds` times
 * each (interleaved, so a slow spell of a shared machine touches every kind) after one unrecorded
 * query of each status; latency per status,
 * and the time Redis itself spent on each query (which a busy machine disturbs far less).
 */
export async function measureLists(
  serverUrl: string,
  redisUrl: string,
  cursors: ListProbe['cursor'][],
  rounds: number,
  limit = 20,
  timeoutMs = 120_000,
): Promise<ListLatency[]> {
  const statuses = [undefined, 'pending', 'completed', 'error', 'canceled'];
  const byStatus = new Map<string, { ms: number[]; us: number[]; errors: number; last: number }>();
  const redis = new Redis(redisUrl);
  const log = new CommandLog(redis);
  await log.start();
  // One unrecorded query of each status first: the server loads its scripts and warms up.
  for (const status of statuses) {
    const q = new URLSearchParams({ limit: String(limit), ...(status ? { status } : {}) });
    await fetch(`${serverUrl}/v1/jobs?${q}`, { signal: AbortSignal.timeout(timeoutMs) }).then(
      (res) => res.arrayBuffer(),
      () => undefined,
    );
  }
  try {
    for (let round = 0; round < rounds; round++) {
      for (const status of statuses) {
        for (const cursor of cursors) {
          const q = new URLSearchParams({ limit: String(limit) });
          if (status) q.set('status', status);
          if (cursor) q.set('cursor', encodeCursor(cursor));
          const entry = byStatus.get(status ?? 'any') ?? { ms: [], us: [], errors: 0, last: 0 };
          byStatus.set(status ?? 'any', entry);
          await log.take();
          const started = performance.now();
          try {
            const res = await fetch(`${serverUrl}/v1/jobs?${q}`, {
              signal: AbortSignal.timeout(timeoutMs),
            });
            const body = (await res.json()) as { data?: unknown[] };
            entry.ms.push(performance.now() - started);
            if (!res.ok) entry.errors++;
            entry.last = body.data?.length ?? 0;
          } catch {
            // A query past the timeout counts as an error, and as the timeout in the latencies.
            entry.ms.push(performance.now() - started);
            entry.errors++;
          }
          const spent = (await log.take()).filter(servesListing);
          entry.us.push(spent.reduce((sum, e) => sum + e.us, 0));
        }
      }
    }
  } finally {
    await log.stop();
    redis.disconnect();
  }
  return [...byStatus].map(([status, e]) => {
    const us = [...e.us].sort((a, b) => a - b);
    return {
      status,
      ...summarize(e.ms, e.errors),
      redisUsP50: pct(us, 0.5),
      redisUsP99: pct(us, 0.99),
      lastPageSize: e.last,
    };
  });
}

/** The longest of the logged commands. */
function longest(entries: { command: string; arg: string; us: number }[]) {
  const top = entries.reduce((a, e) => (e.us > a.us ? e : a), { command: '', arg: '', us: 0 });
  return {
    redisMaxCommandMs: Math.round(top.us / 100) / 10,
    redisMaxCommand: `${top.command} ${top.arg.slice(0, 12)}`.trim(),
  };
}

export interface SweepResult {
  deleted: number;
  elapsedMs: number;
  /** The longest single Redis command meanwhile, of any client (Redis answers nobody else then). */
  redisMaxCommandMs: number;
  /** Its name (and first argument). */
  redisMaxCommand: string;
  /** A job read through the running server every 10 ms meanwhile. */
  probe: LatencySummary;
  /** The sweeping process's own longest event-loop stall. */
  loopMaxMs: number;
}

/**
 * Runs the store's retention sweep (`purgeExpired`, the code the server runs on its timer) with
 * cutoff `before`, while Redis's slow log watches its commands and a reader probes the server.
 */
export async function measureSweep(
  url: string,
  before: number,
  probe: { serverUrl: string; jobId: string },
  prefix = 'vt:',
): Promise<SweepResult> {
  const store = await RedisStore.connect(url, { keyPrefix: prefix, commandTimeoutMs: 120_000 });
  const admin = new Redis(url);
  const log = new CommandLog(admin);
  // Commands of 1 ms or more: the longest one is how long Redis made everyone else wait.
  await log.start(1000);
  let done = false;
  const probeMs: number[] = [];
  let probeErrors = 0;
  const reads = (async () => {
    while (!done) {
      const t = performance.now();
      try {
        const res = await fetch(`${probe.serverUrl}/v1/jobs/${probe.jobId}`);
        await res.arrayBuffer();
        if (res.ok) probeMs.push(performance.now() - t);
        else probeErrors++;
      } catch {
        probeErrors++;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const started = performance.now();
  try {
    const deleted = await store.purgeExpired(before, []);
    const elapsedMs = performance.now() - started;
    return {
      deleted,
      elapsedMs: Math.round(elapsedMs),
      ...longest(await log.take()),
      probe: summarize(probeMs, probeErrors),
      loopMaxMs: Math.round(loop.max / 1e6),
    };
  } finally {
    loop.disable();
    done = true;
    await reads;
    await log.stop();
    admin.disconnect();
    await store.close();
  }
}

export interface EventHistory {
  entries: number;
  /** Entries older than the retention (a stream trimmed whole nodes at a time keeps up to one). */
  olderThanRetention: number;
  /** Age of the oldest event kept, relative to `now`, hours. */
  oldestAgeHours: number;
}

/** Counts a stream's entries before an id, on the server (the bench's own Redis). */
const COUNT_BEFORE_LUA = `
local n, start = 0, '-'
while true do
  local r = redis.call('XRANGE', KEYS[1], start, '(' .. ARGV[1], 'COUNT', 10000)
  n = n + #r
  if #r < 10000 then return n end
  start = '(' .. r[#r][1]
end
`;

/** How far back a tenant's event stream reaches. */
export async function measureEventHistory(
  url: string,
  tenant: string,
  now: number,
  retentionMs: number,
  prefix = 'vt:',
): Promise<EventHistory> {
  const redis = new Redis(url);
  try {
    const key = `${prefix}events:${tenant}`;
    const [first] = await redis.xrange(key, '-', '+', 'COUNT', 1);
    const oldest = first ? Number(first[0].split('-')[0]) : now;
    const cutoff = `${now - retentionMs}-0`;
    return {
      entries: await redis.xlen(key),
      olderThanRetention: Number(await redis.eval(COUNT_BEFORE_LUA, 1, key, cutoff)),
      oldestAgeHours: Math.round(((now - oldest) / 3_600_000) * 100) / 100,
    };
  } finally {
    redis.disconnect();
  }
}

/**
 * Writes `writes` jobs through the store running with the retention `retentionMs` (as a server
 * with that retention would), then reports how far back the tenant's event stream reaches.
 */
export async function measureHistoryAfterWrite(
  url: string,
  tenant: string,
  retentionMs: number,
  writes = 100,
  prefix = 'vt:',
): Promise<EventHistory> {
  const store = await RedisStore.connect(url, { keyPrefix: prefix, retentionMs });
  try {
    for (let i = 0; i < writes; i++) {
      const now = Date.now();
      const record = drawJob({ tenant }, DEFAULT_CONFIG, Math.random, now);
      await store.createJob(record, eventForStep(record, 0, now));
    }
  } finally {
    await store.close();
  }
  return measureEventHistory(url, tenant, Date.now(), retentionMs, prefix);
}

export interface RunningServer {
  url: string;
  pid: number;
  /** When `/healthz` first answered and when `/readyz` first answered 200, ms after the spawn. */
  liveAfterMs: number;
  readyAfterMs: number;
  stop(): Promise<void>;
}

/**
 * Starts the built server on the Redis store and times it to `/healthz` and `/readyz` (a restart
 * with everything the store holds). `env` adds to the defaults (the retention, the log level).
 */
export async function startServerTimed(
  redisUrl: string,
  env: Record<string, string> = {},
  timeoutMs = 120_000,
): Promise<RunningServer> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [SERVER_MAIN], {
    cwd: tempDir('vtrans-growth-'),
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      VT_STORE: redisUrl,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  let liveAfterMs = -1;
  let readyAfterMs = -1;
  const deadline = started + timeoutMs;
  while (readyAfterMs < 0) {
    if (child.exitCode !== null)
      throw new Error(`the server exited with ${child.exitCode}: ${stderr}`);
    if (performance.now() > deadline) {
      await stop();
      throw new Error(`the server was not ready within ${timeoutMs} ms: ${stderr}`);
    }
    const ok = (path: string) =>
      fetch(`${url}${path}`, { signal: AbortSignal.timeout(1000) }).then(
        (r) => r.ok,
        () => false,
      );
    if (liveAfterMs < 0 && (await ok('/healthz'))) liveAfterMs = performance.now() - started;
    if (liveAfterMs >= 0 && (await ok('/readyz'))) readyAfterMs = performance.now() - started;
    else await new Promise((r) => setTimeout(r, 20));
  }
  return {
    url,
    pid: child.pid ?? -1,
    liveAfterMs: Math.round(liveAfterMs),
    readyAfterMs: Math.round(readyAfterMs),
    stop,
  };
}

export const serverRssMb = (pid: number): number => Math.round(rssBytes(pid) / 1_048_576);
