/**
 * Child processes for the packaging and runtime checks: run one to its end with its output
 * collected (and a time limit), or start one in its own process group to signal it later.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface RunOptions {
  cwd?: string;
  /** Added to (or, with `cleanEnv`, instead of) this process's environment. */
  env?: Record<string, string | undefined>;
  /**
   * Start from a few variables only (PATH, HOME, and how to reach the network: proxies, extra CA
   * certificates), so nothing of this test run leaks in (npm_* variables).
   */
  cleanEnv?: boolean;
  timeoutMs?: number;
  input?: string;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** What a clean environment keeps: the basics and how this machine reaches the network. */
const KEPT =
  /^(PATH|HOME|TMPDIR|LANG|NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|(HTTPS?|NO)_PROXY)$/i;

/** The environment a child gets: see {@link RunOptions.cleanEnv}. */
export function childEnv(options: RunOptions): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = options.cleanEnv
    ? Object.fromEntries(Object.entries(process.env).filter(([key]) => KEPT.test(key)))
    : { ...process.env };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete base[key];
    else base[key] = value;
  }
  return base;
}

/** Runs `command` to its end; never throws for a failing exit (look at `code`). */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: childEnv(options),
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  if (child.stdin) {
    // A child that exits without reading its input is not an error of ours.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input);
  }
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          stderr += `\n[killed after ${options.timeoutMs} ms]`;
          child.kill('SIGKILL');
        }, options.timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Like {@link run}, but a failing exit throws with the command's output. */
export async function runOk(
  command: string,
  args: string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.code ?? result.signal}:\n` +
        `${result.stdout.slice(-4000)}\n${result.stderr.slice(-4000)}`,
    );
  }
  return result;
}

export interface Background {
  readonly child: ChildProcess;
  readonly pid: number;
  output(): string;
  /** Settles with the exit once the process is gone and its output read. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once `text` appears in stdout or stderr; rejects on exit or after `timeoutMs`. */
  waitFor(text: string | RegExp, timeoutMs: number): Promise<void>;
  /** Signals the whole process group, as a terminal's Ctrl-C does. */
  signalGroup(signal: NodeJS.Signals): void;
  /** SIGKILL to the group if anything of it is still alive. */
  killGroup(): void;
}

/** Starts `command` as the leader of a new process group (a terminal's foreground job). */
export function startInGroup(
  command: string,
  args: string[],
  options: RunOptions = {},
): Background {
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: childEnv(options),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  let isGone = false;
  void exited.then(() => (isGone = true));
  const pid = child.pid ?? -1;
  return {
    child,
    pid,
    output: () => output,
    exited,
    async waitFor(text, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      const found = () => (typeof text === 'string' ? output.includes(text) : text.test(output));
      while (!found()) {
        if (isGone) throw new Error(`exited before printing ${String(text)}:\n${output}`);
        if (Date.now() > deadline)
          throw new Error(`no ${String(text)} within ${timeoutMs} ms:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    signalGroup(signal) {
      process.kill(-pid, signal);
    },
    killGroup() {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // the group is gone already
      }
    },
  };
}

/** True while some process of group `pgid` is alive. */
export function isGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
