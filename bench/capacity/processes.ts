/**
 * The processes a capacity run starts: the built vtrans server (`node packages/server/dist/main.js`,
 * the same entry point the tests and the Docker image start), a bare Fastify server to compare
 * with — on loopback, free ports, scratch directories, and stopped by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, tempDir } from '@vtrans/test-support';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SERVER_MAIN = join(ROOT, 'packages/server/dist/main.js');

/** Resident set size of a process, bytes (Linux `/proc`); 0 where unavailable. */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU time (user + system) a process has used, ms (Linux `/proc`, 100 ticks a second). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command: state is field 3, utime 14 and stime 15 (1-based, as proc(5) counts).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

export interface Proc {
  pid: number;
  url: string;
  port: number;
  stderr(): string;
  stop(): Promise<void>;
}

async function waitFor(url: string, child: ChildProcess, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(500) });
      if (res.ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not answer ${url} within ${timeoutMs} ms`);
}

function track(child: ChildProcess, port: number, dir?: string): Proc {
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid ?? -1,
    port,
    url: `http://127.0.0.1:${port}`,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts the built vtrans server with `env` on a free port. */
export async function startVtrans(
  env: Record<string, string>,
  nodeArgs: readonly string[] = [],
): Promise<Proc> {
  if (!existsSync(SERVER_MAIN)) {
    throw new Error(`${SERVER_MAIN} is missing: run \`npm run build\` first`);
  }
  const port = await freePort();
  const dir = tempDir('vtrans-capacity-');
  const child = spawn(process.execPath, [...nodeArgs, SERVER_MAIN], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      VT_STORE: `sqlite:${join(dir, 'vtrans.db')}`,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const proc = track(child, port, dir);
  try {
    await waitFor(`${proc.url}/readyz`, child, 15_000, 'the vtrans server');
  } catch (err) {
    await proc.stop();
    throw new Error(`${(err as Error).message}: ${proc.stderr()}`);
  }
  return proc;
}

/** Starts the bare Fastify server (one route answering a job-sized JSON object). */
export async function startBare(): Promise<Proc> {
  const port = await freePort();
  const script = fileURLToPath(new URL('./bare-server.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, String(port)], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const proc = track(child, port);
  await waitFor(`${proc.url}/bare`, child, 15_000, 'the bare server');
  return proc;
}
