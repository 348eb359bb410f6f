/**
 * The commands the README gives at the repository root, run as a user runs them: `npx vtrans`
 * (linked by npm at install time) and `npm start` stopped with Ctrl-C or by a supervisor's SIGTERM.
 */
import { copyFileSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isGroupAlive, ROOT, run, startInGroup, type Background } from './run.js';
import { freePort } from '@vtrans/test-support';

const started: Background[] = [];

afterAll(() => {
  for (const p of started) p.killGroup();
});

async function waitUntilGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isGroupAlive(pgid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return !isGroupAlive(pgid);
}

async function isListening(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

/** `npm start` on a free port with the memory store, until the server answers. */
async function npmStart(): Promise<{ npm: Background; port: number }> {
  const port = await freePort();
  const npm = startInGroup('npm', ['start'], {
    cleanEnv: true,
    env: { PORT: String(port), VT_STORE: 'memory' },
  });
  started.push(npm);
  const deadline = Date.now() + 120_000;
  while (!(await isListening(port))) {
    if (Date.now() > deadline) throw new Error(`npm start did not serve:\n${npm.output()}`);
    if (!isGroupAlive(npm.pid)) throw new Error(`npm start exited:\n${npm.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { npm, port };
}

describe('npx vtrans at the repository root', () => {
  it('is linked by npm to a launcher that is not a build output, so it exists after npm ci', () => {
    const link = join(ROOT, 'node_modules', '.bin', 'vtrans');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    const target = resolve(dirname(link), readlinkSync(link));
    expect(target).toBe(join(ROOT, 'node_modules', '@vtrans', 'cli', 'bin', 'vtrans.js'));
  });

  it('prints the help', async () => {
    const r = await run('npx', ['vtrans', '--help'], { cleanEnv: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Usage: vtrans');
  });

  it('says in one line what to do when the command is not built', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'vtrans-unbuilt-'));
    try {
      mkdirSync(join(copy, 'bin'));
      copyFileSync(join(ROOT, 'packages/cli/bin/vtrans.js'), join(copy, 'bin', 'vtrans.js'));
      const r = await run(process.execPath, [join(copy, 'bin', 'vtrans.js'), '--help']);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        'vtrans: the command is not built yet: run `npm run build` at the repository root\n',
      );
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe('npm start', () => {
  it('exits 0 on Ctrl-C (SIGINT to the whole foreground group) once the server stopped', async () => {
    const { npm, port } = await npmStart();
    npm.signalGroup('SIGINT');
    const exit = await npm.exited;
    expect(exit, npm.output()).toEqual({ code: 0, signal: null });
    expect(npm.output()).not.toContain('again, exiting now');
    expect(await waitUntilGone(npm.pid, 5000)).toBe(true);
    expect(await isListening(port)).toBe(false);
  }, 180_000);

  it('exits 0 on SIGTERM to npm alone (a supervisor), and leaves no server behind', async () => {
    const { npm, port } = await npmStart();
    process.kill(npm.pid, 'SIGTERM');
    const exit = await npm.exited;
    expect(exit, npm.output()).toEqual({ code: 0, signal: null });
    expect(await waitUntilGone(npm.pid, 5000)).toBe(true);
    expect(await isListening(port)).toBe(false);
  }, 180_000);
});

describe('the installed tree', () => {
  it('is what package.json and its overrides ask for (npm ls finds nothing invalid)', async () => {
    const r = await run('npm', ['ls', '--all', '--silent'], { timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
