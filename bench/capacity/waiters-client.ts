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
  /** Cap on sockets connecting at once (not on held ones). */
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
  | { kind: 'ready' }
  | { kind: 'opened'; count: number; errors: number }
  | { kind: 'done'; results: WaiterResult[] };

function longPoll(plan: ClientPlan, jobId: string, localAddress: string, onConnected: () => void) {
  const sentAt = Date.now();
  let connected = false;
  const connectedOnce = () => {
    if (connected) return;
    connected = true;
    onConnected();
  };
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
            error:
              res.statusCode === 200 || res.statusCode === 304 ? null : `HTTP ${res.statusCode}`,
            status: res.statusCode ?? 0,
          });
        });
        res.on('error', (err) =>
          resolve({ lateMs: null, sentAt, sentBeforeFinish: true, error: err.message, status: 0 }),
        );
      },
    );
    req.on('socket', (socket) => socket.once('connect', connectedOnce));
    req.on('error', (err) => {
      connectedOnce();
      resolve({ lateMs: null, sentAt, sentBeforeFinish: true, error: err.message, status: 0 });
    });
    req.end();
  });
}

/**
 * Long-polls until the job's terminal state, as a real client does: a hold that ends with 304
 * (nothing changed within `waitS`) is re-armed on a new socket. Only the first connects counts
 * against the connecting limit.
 */
async function waitUntilDone(
  plan: ClientPlan,
  jobId: string,
  localAddress: string,
  onConnected: () => void,
): Promise<WaiterResult> {
  let result = await longPoll(plan, jobId, localAddress, onConnected);
  while (result.status === 304) result = await longPoll(plan, jobId, localAddress, () => undefined);
  return result;
}

async function run(plan: ClientPlan): Promise<void> {
  const pending: Promise<WaiterResult>[] = [];
  let errors = 0;
  // At most `openConcurrency` sockets connecting at once, so the server's accept queue never
  // overflows (that would reset connections); every connected socket stays held.
  let connecting = 0;
  const waiting: (() => void)[] = [];
  const released = () => {
    connecting--;
    waiting.shift()?.();
  };
  for (const [i, jobId] of plan.jobIds.entries()) {
    if (connecting >= plan.openConcurrency) await new Promise<void>((r) => waiting.push(r));
    connecting++;
    const address = plan.localAddresses[i % plan.localAddresses.length] ?? '127.0.0.1';
    const p = waitUntilDone(plan, jobId, address, released);
    void p.then((r) => {
      if (r.error) errors++;
    });
    pending.push(p);
  }
  process.send?.({ kind: 'opened', count: pending.length, errors } satisfies ClientMessage);
  const results = await Promise.all(pending);
  const done: ClientMessage = {
    kind: 'done',
    results: results.map(({ lateMs, sentBeforeFinish, error, status }) => ({
      lateMs,
      sentBeforeFinish,
      error,
      status,
    })),
  };
  // Disconnect only once the (large) report has been handed over, or it may be dropped.
  await new Promise<void>((resolve) => process.send?.(done, undefined, undefined, () => resolve()));
}

process.once('message', (plan: ClientPlan) => {
  run(plan).then(
    () => process.disconnect?.(),
    (err: unknown) => {
      process.stderr.write(`waiters client: ${String(err)}\n`);
      process.exit(1);
    },
  );
});
process.send?.({ kind: 'ready' } satisfies ClientMessage);
