/**
 * The client side of the capacity run, in its own process (so its CPU and memory do not count as
 * the server's): opens one long poll per waiter, each on its own socket, spread over many loopback
 * source addresses, and reports when each answer arrived against the job's `completed_at`.
 * Started with `fork`; talks to the parent over IPC.
 */
import http from 'node:http';

export interface ClientPlan {
  url: string;
  /** One entry per waiter (a job id may repeat: several waiters per job). */
  jobIds: string[];
  waitS: number;
  /** Source addresses to spread sockets over, e.g. 127.0.0.2 … 127.0.0.20. */
  localAddresses: string[];
  /** Cap on requests being opened at once (not on held ones). */
  openConcurrency: number;
}

export interface WaiterResult {
  /** ms from `completed_at` to the answer's arrival; null when not a terminal answer. */
  lateMs: number | null;
  /** Whether the request was held (sent before the job finished). */
  sentBeforeFinish: boolean;
  error: string | null;
  status: number;
}

export type ClientMessage =
  { kind: 'opened'; count: number; errors: number } | { kind: 'done'; results: WaiterResult[] };

function longPoll(plan: ClientPlan, jobId: string, localAddress: string) {
  const sentAt = Date.now();
  return new Promise<WaiterResult & { sentAt: number }>((resolve) => {
    const req = http.request(
      `${plan.url}/v1/jobs/${jobId}?wait=${plan.waitS}`,
      { agent: false, localAddress, headers: { 'if-none-match': 'W/"1"' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const arrived = Date.now();
          let lateMs: number | null = null;
          let finishedAt = Infinity;
          try {
            const job = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
              completed_at: string | null;
            };
            if (job.completed_at) {
              finishedAt = Date.parse(job.completed_at);
              lateMs = arrived - finishedAt;
            }
          } catch {
            // a 304 or a problem: no job
          }
          resolve({
            lateMs,
            sentAt,
            sentBeforeFinish: sentAt < finishedAt,
            error: res.statusCode === 200 ? null : `HTTP ${res.statusCode}`,
            status: res.statusCode ?? 0,
          });
        });
        res.on('error', (err) =>
          resolve({ lateMs: null, sentAt, sentBeforeFinish: true, error: err.message, status: 0 }),
        );
      },
    );
    req.on('error', (err) =>
      resolve({ lateMs: null, sentAt, sentBeforeFinish: true, error: err.message, status: 0 }),
    );
    req.end();
  });
}

async function run(plan: ClientPlan): Promise<void> {
  const pending: Promise<WaiterResult>[] = [];
  let opened = 0;
  let errors = 0;
  // Open in waves so the server's accept queue is not flooded; each socket stays held.
  for (let i = 0; i < plan.jobIds.length; i += plan.openConcurrency) {
    const wave = plan.jobIds.slice(i, i + plan.openConcurrency).map((jobId, j) => {
      const address = plan.localAddresses[(i + j) % plan.localAddresses.length] ?? '127.0.0.1';
      const p = longPoll(plan, jobId, address);
      void p.then((r) => {
        if (r.error) errors++;
      });
      return p;
    });
    pending.push(...wave);
    opened += wave.length;
    await new Promise((r) => setImmediate(r));
  }
  process.send?.({ kind: 'opened', count: opened, errors } satisfies ClientMessage);
  const results = await Promise.all(pending);
  process.send?.({
    kind: 'done',
    results: results.map(({ lateMs, sentBeforeFinish, error, status }) => ({
      lateMs,
      sentBeforeFinish,
      error,
      status,
    })),
  } satisfies ClientMessage);
}

process.once('message', (plan: ClientPlan) => {
  void run(plan).then(() => process.disconnect?.());
});
