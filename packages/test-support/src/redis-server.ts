/**
 * A real `redis-server` for tests and benches: on a free loopback port, in a scratch directory, with
 * the append-only file synced on every write (`appendfsync always`, as in production) so a SIGKILL
 * loses no acknowledged write. Stopped by pid (never by name); `stopAllRedis()` stops every one this
 * process started (the vitest setup file calls it after each test file). Whether redis-server is
 * installed: `needs('redis', …)` in `services.ts`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { freePort } from './net.js';
import { tempDir } from './scratch.js';

const running = new Set<RedisServer>();

/** Stops every redis-server this process started and has not stopped yet. */
export async function stopAllRedis(): Promise<void> {
  await Promise.all([...running].map((r) => r.stop()));
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

/** Starts a redis-server (stopped by `stop()`, or by `stopAllRedis()`). */
export interface RedisOptions {
  /** `always` (the default, as the deployment runs it) or `everysec` (faster bulk loads). */
  appendfsync?: 'always' | 'everysec';
}

export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
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
        options.appendfsync ?? 'always',
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
