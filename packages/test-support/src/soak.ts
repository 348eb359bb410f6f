/**
 * Soak: a vtrans server in a child process (`--expose-gc`, SQLite store in a scratch directory)
 * under mixed loopback load — creates, long polls, batch long polls, event streams, abandoned
 * requests, cancels — then checks that it returns to its baseline: heap after a forced GC, open
 * file descriptors, active handles and timers, and held waiters (zero).
 *
 *   npm run soak                      # 3 minutes (SOAK_MS overrides, e.g. SOAK_MS=600000)
 *   SOAK_MS=20000 npx tsx packages/test-support/src/soak.ts
 *
 * The server reports its own figures over IPC (`process.memoryUsage()` after `gc()`,
 * `/proc/self/fd`, `process.getActiveResourcesInfo()`, `context.waiters.size`).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Agent, fetch as undiciFetch } from 'undici';
import { sleep } from './sleep.js';

export interface ProcessFigures {
  heapUsedBytes: number;
  rssBytes: number;
  /** Open file descriptors (`/proc/self/fd`), or -1 where there is no /proc. */
  fds: number;
  /** Active handles and requests by type (`process.getActiveResourcesInfo()`). */
  resources: Record<string, number>;
  /** Held long polls plus open event streams. */
  waiters: number;
}

export interface SoakReport {
  durationMs: number;
  virtualUsers: number;
  operations: Record<string, number>;
  /** Answers that were not what the operation expects (any 5xx among them), with a sample. */
  errors: number;
  errorSamples: string[];
  baseline: ProcessFigures;
  during: ProcessFigures;
  after: ProcessFigures;
  /** Each check and whether it held. */
  checks: { name: string; ok: boolean; detail: string }[];
}

/** Tolerances of the return-to-baseline checks. */
export const SOAK_LIMITS = {
  /** Heap after GC may exceed the baseline by this share… */
  heapGrowthShare: 0.25,
  /** …or by this many bytes, whichever is larger (small heaps jitter by a few MB). */
  heapGrowthBytes: 8 * 1024 * 1024,
  /** Extra file descriptors or handles allowed (a lingering accept, a log flush). */
  extraFds: 3,
  extraHandles: 3,
} as const;

// ---------------------------------------------------------------- the server side (child)

async function serve(): Promise<void> {
  const { startServer } = await import('@vtrans/server');
  const dir = mkdtempSync(join(tmpdir(), 'vtrans-soak-'));
  const srv = await startServer({
    port: 0,
    host: '127.0.0.1',
    store: `sqlite:${join(dir, 'soak.db')}`,
    logLevel: 'silent',
    sseHeartbeatMs: 1000,
  });
  const gc = (globalThis as { gc?: () => void }).gc;
  const figures = async (): Promise<ProcessFigures> => {
    for (let i = 0; i < 3; i++) {
      gc?.();
      await new Promise((r) => setImmediate(r));
    }
    const resources: Record<string, number> = {};
    for (const type of process.getActiveResourcesInfo())
      resources[type] = (resources[type] ?? 0) + 1;
    let fds = -1;
    try {
      fds = readdirSync('/proc/self/fd').length;
    } catch {
      // not Linux
    }
    const mem = process.memoryUsage();
    return {
      heapUsedBytes: mem.heapUsed,
      rssBytes: mem.rss,
      fds,
      resources,
      waiters: srv.context.waiters.size,
    };
  };
  process.on('message', (message: { type: string }) => {
    if (message.type === 'measure')
      void figures().then((f) => process.send?.({ type: 'figures', figures: f }));
    if (message.type === 'stop') {
      void srv.close().then(() => {
        rmSync(dir, { recursive: true, force: true });
        process.exit(0);
      });
    }
  });
  process.send?.({ type: 'ready', url: srv.url, hasGc: typeof gc === 'function' });
}

// ---------------------------------------------------------------- the load side (parent)

interface Child {
  proc: ChildProcess;
  url: string;
  measure(): Promise<ProcessFigures>;
  stop(): Promise<void>;
}

async function spawnServerChild(): Promise<Child> {
  const script = fileURLToPath(import.meta.url);
  const proc = fork(script, ['--serve'], {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = <T>(type: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (m: { type: string } & T) => {
        if (m.type !== type) return;
        proc.off('message', onMessage);
        proc.off('exit', onExit);
        resolve(m);
      };
      const onExit = (code: number | null) => reject(new Error(`soak server exited (${code})`));
      proc.on('message', onMessage);
      proc.once('exit', onExit);
    });
  const ready = await next<{ url: string; hasGc: boolean }>('ready');
  if (!ready.hasGc) throw new Error('the soak server has no gc(): run it with --expose-gc');
  return {
    proc,
    url: ready.url,
    measure: async () => {
      const reply = next<{ figures: ProcessFigures }>('figures');
      proc.send({ type: 'measure' });
      return (await reply).figures;
    },
    stop: async () => {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.send({ type: 'stop' });
      await exited;
    },
  };
}

interface JobBody {
  id: string;
  status: string;
  version: number;
}

const TERMINAL = new Set(['completed', 'error', 'canceled']);
const pick = (n: number) => Math.floor(Math.random() * n);

class Load {
  readonly operations: Record<string, number> = {};
  errors = 0;
  readonly errorSamples: string[] = [];
  private readonly agent = new Agent({ keepAliveTimeout: 4000, connections: 64 });

  constructor(private readonly url: string) {}

  private fail(what: string): void {
    this.errors++;
    if (this.errorSamples.length < 10) this.errorSamples.push(what);
  }

  private async request(
    path: string,
    init: {
      method?: string;
      headers?: Record<string, string>;
      body?: unknown;
      signal?: AbortSignal;
    } = {},
  ) {
    return undiciFetch(`${this.url}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...init.headers,
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      ...(init.signal ? { signal: init.signal } : {}),
      dispatcher: this.agent,
    });
  }

  private async create(durationMs: number): Promise<JobBody | undefined> {
    const res = await this.request('/v1/jobs', {
      method: 'POST',
      headers: { 'idempotency-key': `soak-${Date.now()}-${Math.random()}` },
      body: {
        simulate: { duration_ms: durationMs, outcome: Math.random() < 0.2 ? 'error' : 'completed' },
      },
    });
    if (res.status !== 201) {
      this.fail(`create → ${res.status}`);
      await res.body?.cancel();
      return undefined;
    }
    return (await res.json()) as JobBody;
  }

  private async longPollUntilDone(job: JobBody): Promise<void> {
    let current = job;
    for (let i = 0; i < 20 && !TERMINAL.has(current.status); i++) {
      const res = await this.request(`/v1/jobs/${job.id}`, {
        headers: { prefer: 'wait=5', 'if-none-match': `W/"${current.version}"` },
      });
      if (res.status === 304) {
        await res.body?.cancel();
        continue;
      }
      if (res.status !== 200) {
        this.fail(`long poll → ${res.status}`);
        await res.body?.cancel();
        return;
      }
      current = (await res.json()) as JobBody;
    }
    if (!TERMINAL.has(current.status)) this.fail(`long poll never saw ${job.id} finish`);
  }

  private readonly actions: Record<string, () => Promise<void>> = {
    'create + long poll': async () => {
      const job = await this.create(100 + pick(1400));
      if (job) await this.longPollUntilDone(job);
    },
    'create + job stream': async () => {
      const job = await this.create(100 + pick(1400));
      if (!job) return;
      const res = await this.request(`/v1/jobs/${job.id}/events`, {
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      if (res.status !== 200 || !/event: job\.(completed|failed)/.test(text))
        this.fail(`job stream → ${res.status}`);
    },
    'create + cancel': async () => {
      const job = await this.create(5000 + pick(5000));
      if (!job) return;
      await sleep(20 + pick(200));
      const res = await this.request(`/v1/jobs/${job.id}/cancel`, { method: 'POST' });
      const body = (await res.json()) as JobBody;
      if (res.status !== 200 || body.status !== 'canceled')
        this.fail(`cancel → ${res.status} ${body.status}`);
    },
    'tenant stream, dropped': async () => {
      try {
        const res = await this.request('/v1/events', {
          signal: AbortSignal.timeout(300 + pick(1200)),
        });
        if (res.status !== 200) this.fail(`events → ${res.status}`);
        await res.text();
      } catch (err) {
        // The timeout cuts the stream (or, on a busy machine, the wait for its headers) on purpose.
        if ((err as Error).name !== 'TimeoutError') throw err;
      }
    },
    'batch long poll': async () => {
      const jobs = (
        await Promise.all([
          this.create(200 + pick(800)),
          this.create(200 + pick(800)),
          this.create(200 + pick(800)),
        ])
      ).filter((j): j is JobBody => j !== undefined);
      let etag: string | null = null;
      for (let i = 0; i < 10; i++) {
        const res = await this.request(`/v1/jobs?ids=${jobs.map((j) => j.id).join(',')}`, {
          headers: { prefer: 'wait=5', ...(etag ? { 'if-none-match': etag } : {}) },
        });
        etag = res.headers.get('etag');
        if (res.status === 304) {
          await res.body?.cancel();
          continue;
        }
        if (res.status !== 200) {
          this.fail(`batch → ${res.status}`);
          await res.body?.cancel();
          return;
        }
        const batch = (await res.json()) as { data: JobBody[] };
        if (batch.data.every((j) => TERMINAL.has(j.status))) return;
      }
    },
    'abandoned long poll': async () => {
      const job = await this.create(60_000);
      if (!job) return;
      try {
        const res = await this.request(`/v1/jobs/${job.id}`, {
          headers: { prefer: 'wait=30' },
          signal: AbortSignal.timeout(100 + pick(300)),
        });
        await res.text();
      } catch {
        // abandoned on purpose: the server must let go of the waiter
      }
      await (await this.request(`/v1/jobs/${job.id}/cancel`, { method: 'POST' })).body?.cancel();
    },
    'status + list': async () => {
      for (const path of ['/status', '/v1/jobs?limit=20']) {
        const res = await this.request(path);
        if (res.status !== 200) this.fail(`${path} → ${res.status}`);
        await res.body?.cancel();
      }
    },
  };

  /** Runs `users` loops of random actions until `untilMs` (epoch). */
  async run(users: number, untilMs: number): Promise<void> {
    const names = Object.keys(this.actions);
    await Promise.all(
      Array.from({ length: users }, async () => {
        while (Date.now() < untilMs) {
          const name = names[pick(names.length)] ?? 'status + list';
          try {
            await this.actions[name]?.();
            this.operations[name] = (this.operations[name] ?? 0) + 1;
          } catch (err) {
            this.fail(`${name}: ${String(err)}`);
          }
        }
      }),
    );
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

function heapOk(baseline: ProcessFigures, after: ProcessFigures): boolean {
  const allowed = Math.max(
    baseline.heapUsedBytes * SOAK_LIMITS.heapGrowthShare,
    SOAK_LIMITS.heapGrowthBytes,
  );
  return after.heapUsedBytes <= baseline.heapUsedBytes + allowed;
}

const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;

/** Runs the soak for `durationMs` of load and reports; never throws for a failed check. */
export async function runSoak(options: {
  durationMs: number;
  virtualUsers?: number;
  log?: (line: string) => void;
}): Promise<SoakReport> {
  const { durationMs, virtualUsers = 20, log = () => undefined } = options;
  const child = await spawnServerChild();
  try {
    // Warm-up, so the baseline includes JIT code, pools and caches a running server keeps.
    const warm = new Load(child.url);
    await warm.run(virtualUsers, Date.now() + Math.min(3000, durationMs / 5));
    await warm.close();
    await sleep(1500);
    const baseline = await child.measure();
    log(
      `baseline: heap ${mb(baseline.heapUsedBytes)}, ${baseline.fds} fds, waiters ${baseline.waiters}`,
    );

    const load = new Load(child.url);
    const until = Date.now() + durationMs;
    const running = load.run(virtualUsers, until);
    await sleep(durationMs / 2);
    const during = await child.measure();
    log(`during: heap ${mb(during.heapUsedBytes)}, ${during.fds} fds, waiters ${during.waiters}`);
    await running;
    await load.close();
    // Let every job the load started finish (the longest plain job is 1.5 s), and sockets close.
    await sleep(2500);
    const after = await child.measure();
    log(`after: heap ${mb(after.heapUsedBytes)}, ${after.fds} fds, waiters ${after.waiters}`);

    const checks: SoakReport['checks'] = [
      // The return-to-baseline checks below mean something only if the load moved these first.
      {
        name: 'the load held requests and streams (held waiters under load above zero)',
        ok: during.waiters > 0,
        detail: `${during.waiters} held at the midpoint`,
      },
      {
        name: 'the load opened connections (file descriptors under load above the baseline)',
        ok: during.fds > baseline.fds,
        detail: `${baseline.fds} → ${during.fds} under load`,
      },
      {
        name: 'heap after GC returns near its baseline',
        ok: heapOk(baseline, after),
        detail: `${mb(baseline.heapUsedBytes)} → ${mb(after.heapUsedBytes)} (peak under load ${mb(during.heapUsedBytes)})`,
      },
      {
        name: 'open file descriptors return to their baseline',
        ok: after.fds <= baseline.fds + SOAK_LIMITS.extraFds,
        detail: `${baseline.fds} → ${after.fds} (under load ${during.fds})`,
      },
      ...['Timeout', 'TCPSocketWrap', 'TCPServerWrap'].map((type) => ({
        name: `active ${type} handles return to their baseline`,
        ok:
          (after.resources[type] ?? 0) <=
          (baseline.resources[type] ?? 0) + SOAK_LIMITS.extraHandles,
        detail: `${baseline.resources[type] ?? 0} → ${after.resources[type] ?? 0} (under load ${during.resources[type] ?? 0})`,
      })),
      {
        name: 'held waiters return to zero',
        ok: after.waiters === 0,
        detail: `${baseline.waiters} → ${after.waiters} (under load ${during.waiters})`,
      },
      {
        name: 'no operation failed',
        ok: load.errors === 0,
        detail: `${load.errors} failures${load.errorSamples.length ? `: ${load.errorSamples.join('; ')}` : ''}`,
      },
    ];
    return {
      durationMs,
      virtualUsers,
      operations: load.operations,
      errors: load.errors,
      errorSamples: load.errorSamples,
      baseline,
      during,
      after,
      checks,
    };
  } finally {
    await child.stop();
  }
}

/** The default of `npm run soak`: a few minutes. */
const DEFAULT_SOAK_MS = 180_000;

async function main(): Promise<void> {
  const durationMs = Number(process.env.SOAK_MS ?? DEFAULT_SOAK_MS);
  if (!Number.isFinite(durationMs) || durationMs < 1000) {
    process.stderr.write(
      `soak: SOAK_MS must be a number of milliseconds ≥ 1000, got ${process.env.SOAK_MS}\n`,
    );
    process.exit(2);
  }
  const users = Number(process.env.SOAK_USERS ?? 50);
  process.stderr.write(
    `soak: ${users} virtual users for ${Math.round(durationMs / 1000)} s against a server child process\n`,
  );
  const report = await runSoak({
    durationMs,
    virtualUsers: users,
    log: (l) => process.stderr.write(`soak: ${l}\n`),
  });
  const total = Object.values(report.operations).reduce((a, b) => a + b, 0);
  process.stdout.write(`\n${total} operations: ${JSON.stringify(report.operations)}\n`);
  for (const c of report.checks)
    process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}\n`);
  if (report.checks.some((c) => !c.ok)) process.exitCode = 1;
}

if (process.argv.includes('--serve')) {
  await serve();
} else if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
