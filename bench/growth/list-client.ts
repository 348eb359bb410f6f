/**
 * The process that times list queries: a small Node process of its own with one keep-alive
 * connection, so that what it measures is the server and the machine. Timed from the benchmark's
 * own process (which has populated a store and holds its garbage) through `fetch`, the same
 * queries' p99 came out about twice as long as from a process doing nothing else.
 */
import { spawn } from 'node:child_process';

/** The child's program: one request at a time, `targets` in turn, until told to stop. */
const CLIENT = `
const http = require('node:http');
let agent;
let stopped = false;
const get = (target) => new Promise((resolve) => {
  const started = performance.now();
  http
    .get(target, { agent }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - started }));
      res.on('error', () => resolve({ status: 0, ms: performance.now() - started }));
    })
    .on('error', () => resolve({ status: 0, ms: performance.now() - started }));
});
process.on('message', async (message) => {
  if (message.op === 'stop') { stopped = true; return; }
  const { targets, samples, budgetMs } = message;
  agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  stopped = false;
  const latencies = [];
  const failures = [];
  const deadline = performance.now() + budgetMs;
  while (!stopped && latencies.length < samples && performance.now() < deadline) {
    const target = targets[latencies.length % targets.length];
    const { status, ms } = await get(target);
    if (status !== 200) { failures.push(status + ' from ' + target); break; }
    latencies.push(ms);
  }
  agent.destroy();
  process.send({ latencies, failures });
});
`;

export interface ListRun {
  /** Milliseconds of each answer, in the order asked. */
  latencies: number[];
  /** The first answer that was not 200 (the run stops there). */
  failures: string[];
}

export interface ListClient {
  /**
   * Asks `targets` in turn, one at a time, until `samples` answers or `budgetMs` has passed, or
   * `stop()` is called.
   */
  run(options: { targets: readonly string[]; samples: number; budgetMs: number }): Promise<ListRun>;
  /** Ends the run in progress after its current request. */
  stop(): void;
  close(): void;
}

export function startListClient(): ListClient {
  const child = spawn(process.execPath, ['-e', CLIENT], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return {
    run: (options) =>
      new Promise((resolve, reject) => {
        if (!child.connected) return reject(new Error('the list client has exited'));
        const onExit = () => reject(new Error(`the list client exited (${child.exitCode})`));
        child.once('exit', onExit);
        child.once('message', (result) => {
          child.off('exit', onExit);
          resolve(result as ListRun);
        });
        child.send({ op: 'run', ...options });
      }),
    stop: () => {
      if (child.connected) child.send({ op: 'stop' });
    },
    close: () => {
      if (child.exitCode === null) child.kill();
    },
  };
}
