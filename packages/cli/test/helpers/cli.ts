/**
 * The built `vtrans` binary as a real process (the test run's global setup builds it once, so it is
 * never stale): run with a minimal environment in a scratch directory, its output collected,
 * stopped by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const BIN_JS = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
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
