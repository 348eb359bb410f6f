/**
 * Many waits on one client at once: what they cost in requests and connections, and how late each
 * learns that its job finished. The server runs in this process (memory store), as in the rest of
 * bench/waiting; one `VtransClient` on its own connection pool waits on every job together.
 *
 *   npx tsx bench/waiting/concurrent.ts            # 1,000 waits on jobs finishing over 2 s (~25 s)
 *   npx tsx bench/waiting/concurrent.ts --quick    # 200 waits (what npm test runs)
 *   npx tsx bench/waiting/concurrent.ts --json out.json
 *
 * Lateness is the moment a wait settled minus its job's `completed_at` (or minus the start of the
 * waits, for a job that finished before they started).
 */
import { writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { startServer } from '@vtrans/server';
import { VtransClient, type Job, type WaitTransport } from '@vtrans/client';
import { Agent, fetch as undiciFetch } from 'undici';
import { p99, percentile } from '@vtrans/test-support';

export interface ConcurrentOptions {
  waits: number;
  /** Job `i` lasts `baseDurationMs + (i % 100) * stepMs`: they finish spread over `99 * stepMs`. */
  baseDurationMs: number;
  stepMs: number;
}

/** 1,000 jobs that finish over 2 s, late enough that creating them all (seconds) comes first. */
export const FULL: ConcurrentOptions = { waits: 1000, baseDurationMs: 14_000, stepMs: 20 };
export const QUICK: ConcurrentOptions = { waits: 200, baseDurationMs: 4_000, stepMs: 10 };

/** Fewer samples than this have no p99 of their own: it would be their maximum. */

export interface ConcurrentReport {
  waits: number;
  completed: number;
  /** Every request the waiting client sent, by path. */
  requestsByPath: Record<string, number>;
  requests: number;
  /** Most connections the waiting client had open to the server at once. */
  maxConnections: number;
  transports: WaitTransport[];
  /** ms; `p99` is NaN under 100 waits. */
  latenessMs: { p50: number; p90: number; p99: number; max: number };
  wallMs: number;
}

export async function runConcurrentWaits(options: ConcurrentOptions): Promise<ConcurrentReport> {
  const srv = await startServer({ port: 0, store: 'memory', host: '127.0.0.1', logLevel: 'error' });
  let open = 0;
  let maxOpen = 0;
  srv.app.server.on('connection', (socket: Socket) => {
    open += 1;
    maxOpen = Math.max(maxOpen, open);
    socket.once('close', () => (open -= 1));
  });
  const agent = new Agent({ keepAliveTimeout: 30_000 });
  try {
    // Jobs are created through another client (its connections are not the waiting client's).
    const creator = new VtransClient({ baseUrl: srv.url });
    const jobs: Job[] = [];
    for (let i = 0; i < options.waits; i += 50) {
      const chunk = Array.from({ length: Math.min(50, options.waits - i) }, (_, k) =>
        creator.createJob({
          simulate: {
            duration_ms: options.baseDurationMs + ((i + k) % 100) * options.stepMs,
            outcome: 'completed',
          },
        }),
      );
      jobs.push(...(await Promise.all(chunk)));
    }
    const requestsByPath: Record<string, number> = {};
    const client = new VtransClient({
      baseUrl: srv.url,
      fetch: ((input: URL, init: RequestInit) => {
        const path = new URL(input).pathname;
        requestsByPath[path] = (requestsByPath[path] ?? 0) + 1;
        return undiciFetch(input, { ...(init as object), dispatcher: agent });
      }) as unknown as typeof fetch,
    });
    const before = open;
    maxOpen = open;
    const transports = new Set<WaitTransport>();
    const lateness: number[] = [];
    const startedAt = Date.now();
    const done = await Promise.all(
      jobs.map(async (job) => {
        const finished = await client.waitForJob(job.id, {
          timeoutMs: 60_000 + options.baseDurationMs,
          onUpdate: (_job, info) => transports.add(info.transport),
        });
        const finishedAt = Date.parse(finished.completed_at ?? '');
        lateness.push(Date.now() - Math.max(finishedAt, startedAt));
        return finished;
      }),
    );
    const wallMs = Date.now() - startedAt;
    lateness.sort((a, b) => a - b);
    return {
      waits: jobs.length,
      completed: done.filter((job) => job.status === 'completed').length,
      requestsByPath,
      requests: Object.values(requestsByPath).reduce((a, b) => a + b, 0),
      maxConnections: maxOpen - before,
      transports: [...transports],
      latenessMs: {
        p50: percentile(lateness, 50),
        p90: percentile(lateness, 90),
        p99: p99(lateness),
        max: lateness.at(-1) ?? Number.NaN,
      },
      wallMs,
    };
  } finally {
    await agent.close();
    await srv.close();
  }
}

export function formatReport(r: ConcurrentReport): string {
  const ms = (n: number) => (Number.isNaN(n) ? '–' : String(Math.round(n)));
  const paths = Object.entries(r.requestsByPath)
    .map(([path, n]) => `${path} ×${n}`)
    .join(', ');
  return [
    '| waits | completed | requests | connections at once | p50 late (ms) | p90 late (ms) | p99 late (ms) | max late (ms) | transports |',
    '|--:|--:|---|--:|--:|--:|--:|--:|---|',
    `| ${r.waits} | ${r.completed} | ${r.requests} (${paths}) | ${r.maxConnections} | ${ms(r.latenessMs.p50)} | ${ms(r.latenessMs.p90)} | ${ms(r.latenessMs.p99)} | ${ms(r.latenessMs.max)} | ${r.transports.join(', ')} |`,
  ].join('\n');
}

const isMain =
  process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isMain) {
  const args = process.argv.slice(2);
  const report = await runConcurrentWaits(args.includes('--quick') ? QUICK : FULL);
  console.log(formatReport(report));
  console.log(`\n${(report.wallMs / 1000).toFixed(1)} s of waiting, Node ${process.version}`);
  const jsonAt = args.indexOf('--json');
  const jsonPath = jsonAt >= 0 ? args[jsonAt + 1] : undefined;
  if (jsonPath) writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  if (report.completed !== report.waits) process.exitCode = 1;
}
