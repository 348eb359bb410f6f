/**
 * The built server as a real process (`node packages/server/dist/main.js`): on a free port, in a
 * scratch directory (so no stray `.env` is read), with its output collected and stopped by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from './net.js';
import { tempDir } from './scratch.js';

export const MAIN_JS = fileURLToPath(new URL('../../server/dist/main.js', import.meta.url));

const running = new Set<ServerProcess>();

/** SIGKILLs every server process this process started that is still running (the vitest setup file calls it after each test file; a bench stops its own). */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map((p) => p.kill('SIGKILL')));
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  stdout(): string;
  stderr(): string;
  /** Settles when the process has exited. */
  readonly exited: Promise<Exit>;
  /** Sends `signal` and waits for the exit (SIGKILL after `graceMs` if it is still alive). */
  kill(signal?: NodeJS.Signals, graceMs?: number): Promise<Exit>;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  /** Working directory; a fresh scratch directory by default. */
  cwd?: string;
  /** Wait for `/healthz` to answer before resolving. @default true */
  waitReady?: boolean;
  readyTimeoutMs?: number;
}

function ensureBuilt(): void {
  if (!existsSync(MAIN_JS)) {
    throw new Error(`${MAIN_JS} is missing: run \`npm run build\` (tsc -b) before these tests`);
  }
}

/** Starts the built server with `env` (on top of a minimal environment: PATH, HOME). */
export async function spawnServer(options: SpawnOptions = {}): Promise<ServerProcess> {
  ensureBuilt();
  const port = options.env?.PORT ? Number(options.env.PORT) : await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    HOST: '127.0.0.1',
    PORT: String(port),
    VT_STORE: 'memory',
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const child = spawn(process.execPath, [MAIN_JS], {
    cwd: options.cwd ?? tempDir(),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<Exit>((resolve) => {
    // 'close', not 'exit': only then has all of stdout and stderr been read.
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  const proc: ServerProcess = {
    child,
    pid: child.pid ?? -1,
    port,
    url: `http://127.0.0.1:${port}`,
    stdout: () => out,
    stderr: () => err,
    exited,
    kill: async (signal = 'SIGTERM', graceMs = 5000) => {
      if (child.exitCode === null && child.signalCode === null) process.kill(proc.pid, signal);
      const timer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) process.kill(proc.pid, 'SIGKILL');
      }, graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
        running.delete(proc);
      }
    },
  };
  running.add(proc);
  void exited.then(() => running.delete(proc));
  if (options.waitReady ?? true) {
    await waitForHealth(proc, options.readyTimeoutMs ?? 10_000);
  }
  return proc;
}

async function waitForHealth(proc: ServerProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitedEarly: Exit | undefined;
  void proc.exited.then((e) => (exitedEarly = e));
  while (Date.now() < deadline) {
    if (exitedEarly) {
      throw new Error(
        `server exited (${exitedEarly.code ?? exitedEarly.signal}) before answering: ${proc.stderr()}`,
      );
    }
    try {
      const res = await fetch(`${proc.url}/healthz`, { signal: AbortSignal.timeout(500) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  await proc.kill('SIGKILL');
  throw new Error(`server did not answer /healthz within ${timeoutMs} ms: ${proc.stderr()}`);
}

/** Runs the built server expecting it to exit by itself (e.g. on bad configuration). */
export async function runServerToExit(
  env: Record<string, string>,
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<Exit & { stdout: string; stderr: string }> {
  const proc = await spawnServer({
    env,
    waitReady: false,
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  const timer = setTimeout(() => void proc.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  try {
    const exit = await proc.exited;
    return { ...exit, stdout: proc.stdout(), stderr: proc.stderr() };
  } finally {
    clearTimeout(timer);
  }
}
