/**
 * A real `redis-server` for tests: on a free loopback port, in a scratch directory, with the
 * append-only file synced on every write (`appendfsync always`) so a SIGKILL loses no acknowledged
 * write. Stopped by pid (never by name). `hasRedis` is false when no redis-server is installed;
 * `.ci/run` installs it, and suites skip with a message otherwise.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { afterAll } from 'vitest';
import { freePort, tempDir } from './process.js';

export const hasRedis = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

/** Why Redis suites are skipped, printed once per file. */
export const NO_REDIS_MESSAGE =
  'redis-server is not installed: skipping the Redis store tests (.ci/run installs it)';

const running = new Set<RedisServer>();

// Under vitest, whatever a test file left running is stopped after it; a bench run by tsx
// (bench/nemesis) stops its own processes.
if (process.env.VITEST) {
  afterAll(async () => {
    await Promise.all([...running].map((r) => r.stop()));
  });
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** The running process's pid (changes after `restart`). */
  readonly pid: number;
  /** SIGKILL: no shutdown, no final save — only what the append-only file already holds. */
  kill(): Promise<void>;
  /** Starts again on the same port and directory (loading the append-only file). */
  restart(): Promise<void>;
  /** Stops and removes the directory. */
  stop(): Promise<void>;
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        // PING until it answers PONG (not LOADING): the data set is loaded.
        socket.write('PING\r\n');
      });
      socket.once('data', (data) => {
        socket.destroy();
        if (data.toString().startsWith('+PONG')) resolve();
        else retry();
      });
      socket.once('error', () => {
        socket.destroy();
        retry();
      });
    };
    const retry = () => {
      if (Date.now() > deadline) reject(new Error(`redis-server did not start on port ${port}`));
      else setTimeout(attempt, 20);
    };
    attempt();
  });
}

/** Starts a redis-server; it is stopped when the file's tests end. */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const dir = tempDir('vtrans-redis-');
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const launch = async () => {
    const proc = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--dir',
        dir,
        '--logfile',
        '',
        '--loglevel',
        'warning',
      ],
      { stdio: 'ignore' },
    );
    child = proc;
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    await waitForPort(port, 10_000);
  };
  const signal = async (sig: NodeJS.Signals) => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    process.kill(proc.pid ?? -1, sig);
    await exited;
  };
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    get pid() {
      return child?.pid ?? -1;
    },
    kill: () => signal('SIGKILL'),
    restart: launch,
    stop: async () => {
      running.delete(server);
      await signal('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await launch();
  running.add(server);
  return server;
}

/** Reads SSE frames (for the Redis suites' event stream checks) from a fetch response until `until` says stop (or the stream ends). */
export async function readSse(
  res: Response,
  until: (frames: { id?: string; event?: string; data: string }[]) => boolean,
): Promise<{ id?: string; event?: string; data: string }[]> {
  const frames: { id?: string; event?: string; data: string }[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    while (!until(frames)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const frame: { id?: string; event?: string; data: string } = { data: '' };
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) frame.id = line.slice(4);
          else if (line.startsWith('event: ')) frame.event = line.slice(7);
          else if (line.startsWith('data: ')) frame.data += line.slice(6);
        }
        if (frame.event) frames.push(frame);
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return frames;
}
