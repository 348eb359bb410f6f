/**
 * The runtimes, from the npm registry: Node 22 and 24 (`node-<platform>-<arch>`, a `bin/node` and
 * its headers), Bun and Deno. Installed once into `node_modules/.cache/vtrans-runtimes` (so `npm
 * ci`, a clean machine, fetches them again) with the latest release of each major.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { npmCli } from '../packaging/consumer-project.js';
import { ROOT, runOk } from '../packaging/run.js';

export const TOOLS_DIR = join(ROOT, 'node_modules', '.cache', 'vtrans-runtimes');

/** Node majors fetched besides the one running this. */
export const NODE_MAJORS = [22, 24] as const;

export interface Tools {
  nodes: { major: number; execPath: string }[];
  bun: string;
  deno: string;
  ms: number;
}

/** Installs (or confirms) the runtimes; returns their executables. */
export async function installTools(): Promise<Tools> {
  const started = Date.now();
  const nodePackage = `node-${process.platform}-${process.arch}`;
  const dependencies: Record<string, string> = { bun: '^1', deno: '^2' };
  for (const major of NODE_MAJORS) dependencies[`node${major}`] = `npm:${nodePackage}@${major}`;
  mkdirSync(TOOLS_DIR, { recursive: true });
  writeFileSync(
    join(TOOLS_DIR, 'package.json'),
    `${JSON.stringify(
      {
        name: 'vtrans-runtimes',
        private: true,
        dependencies,
        // Their install scripts put the platform's binary in place.
        allowScripts: { bun: true, deno: true },
      },
      null,
      2,
    )}\n`,
  );
  await runOk(
    process.execPath,
    [npmCli(), 'install', '--no-audit', '--no-fund', '--prefer-offline'],
    { cwd: TOOLS_DIR, cleanEnv: true, timeoutMs: 600_000 },
  );
  const modules = join(TOOLS_DIR, 'node_modules');
  return {
    nodes: NODE_MAJORS.map((major) => ({
      major,
      execPath: join(modules, `node${major}`, 'bin', 'node'),
    })),
    bun: join(modules, '.bin', 'bun'),
    deno: join(modules, '.bin', 'deno'),
    ms: Date.now() - started,
  };
}
