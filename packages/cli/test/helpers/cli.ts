/**
 * The built `vtrans` binary as a real process: built once (`tsc -b packages/cli`, under a lock so
 * parallel test files do not build over each other), run with a minimal environment in a scratch
 * directory, its output collected, stopped by pid.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll } from 'vitest';

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const BIN_JS = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const BUILD_LOCK = join(tmpdir(), 'vtrans-cli-test-build.lock');
const STALE_LOCK_MS = 5 * 60_000;
/** A build on a busy 2-core machine can take a minute. */
export const BUILD_TIMEOUT_MS = 240_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A lock left by a killed test run: its holder is gone, or it is very old. */
function isStaleLock(): boolean {
  try {
    if (Date.now() - statSync(BUILD_LOCK).mtimeMs > STALE_LOCK_MS) return true;
    const pid = Number(readFileSync(join(BUILD_LOCK, 'pid'), 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // ESRCH: no such process. ENOENT: the pid file is not written yet, or the lock is gone.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Builds the CLI (and what it references) once across parallel test files. */
export async function buildCli(): Promise<void> {
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK);
      writeFileSync(join(BUILD_LOCK, 'pid'), String(process.pid));
      break;
    } catch {
      if (isStaleLock()) rmSync(BUILD_LOCK, { recursive: true, force: true });
      await sleep(200);
    }
  }
  try {
    await promisify(execFile)(process.execPath, [TSC, '-b', 'packages/cli'], { cwd: ROOT });
  } catch (error) {
    const out = error as { stdout?: string; stderr?: string };
    throw new Error(`tsc -b packages/cli failed:\n${out.stdout ?? ''}${out.stderr ?? ''}`);
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
}

/** A port nobody listens on. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface CliRun {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when `text` has appeared on stderr (or stdout). */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Settles with the exit code when the process has exited (SIGKILL after `timeoutMs`). */
  readonly done: Promise<CliResult>;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** @default 30000 */
  timeoutMs?: number;
}

const running = new Set<ChildProcess>();

afterAll(() => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts `vtrans …args` with PATH and HOME only (no VTRANS_URL etc. unless given). */
export function spawnCli(args: string[], options: CliOptions = {}): CliRun {
  const child = spawn(process.execPath, [BIN_JS, ...args], {
    cwd: options.cwd ?? mkdtempSync(join(tmpdir(), 'vtrans-cli-')),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((fn) => fn());
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    notify();
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    notify();
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  const done = new Promise<CliResult>((resolve) => {
    child.once('close', (code) => {
      clearTimeout(killer);
      running.delete(child);
      resolve({ code, stdout: out, stderr: err });
    });
  });
  const waitFor = (text: string | RegExp, timeoutMs = 20_000) =>
    new Promise<void>((resolve, reject) => {
      const matches = () =>
        typeof text === 'string' ? (err + out).includes(text) : text.test(err + out);
      const check = () => {
        if (!matches()) return;
        listeners.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`"${String(text)}" did not appear; stdout: ${out}\nstderr: ${err}`));
      }, timeoutMs);
      listeners.add(check);
      void done.then(() => {
        if (listeners.has(check)) {
          listeners.delete(check);
          clearTimeout(timer);
          reject(new Error(`exited before "${String(text)}"; stdout: ${out}\nstderr: ${err}`));
        }
      });
      check();
    });
  return { child, stdout: () => out, stderr: () => err, waitFor, done };
}

/** Runs `vtrans …args` to its exit. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return spawnCli(args, options).done;
}

/** stderr without its final newline, split into lines. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}
