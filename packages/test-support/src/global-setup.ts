/**
 * Vitest's global setup: builds every package once per test run (`tsc -b`, then the dashboard
 * bundle), so tests that start `dist/` binaries never run a stale build. `tsc -b` does nothing when
 * the build is current (well under a second). Every project names this file; the build runs once
 * however many projects run, because they share this main process.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);

async function build(): Promise<void> {
  const steps: [string, string[]][] = [
    [join(ROOT, 'node_modules/typescript/bin/tsc'), ['-b']],
    [join(ROOT, 'packages/server/scripts/build-dashboard.mjs'), []],
  ];
  for (const [script, args] of steps) {
    try {
      await run(process.execPath, [script, ...args], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    } catch (error) {
      const out = error as { stdout?: string; stderr?: string };
      throw new Error(
        `the test run's build failed (${script} ${args.join(' ')}):\n${out.stdout ?? ''}${out.stderr ?? ''}`,
      );
    }
  }
}

const BUILD = Symbol.for('vtrans.test-build');
type WithBuild = typeof globalThis & { [BUILD]?: Promise<void> };

export default async function setup(): Promise<void> {
  const g = globalThis as WithBuild;
  g[BUILD] ??= build();
  await g[BUILD];
}
