/**
 * publint (package.json fields against the packed files) on each workspace and
 * @arethetypeswrong/cli (types against JavaScript under each module resolution) on each tarball
 * with an entry point. Run after `npm run build`:
 *
 *   npm run lint:packages
 *
 * attw runs with `--profile esm-only`: the packages are ESM only, and a CommonJS `require()` of
 * them works through Node's require(esm) (Node ≥ 20.19 / 22.12). attw still prints, marked
 * "(ignored per resolution)", that under TypeScript's `module: node16` a CommonJS file may only
 * `import()` them — true of that mode; `module: nodenext` (TypeScript ≥ 5.8) types the `require()`.
 * The CLI is not given to attw: it has no entry point to import, only the `vtrans` command.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packTarballs, WORKSPACES, type Tarballs } from './consumer-project.js';
import { ROOT, run } from './run.js';

export interface LintResult {
  tool: 'publint' | 'attw';
  target: string;
  ok: boolean;
  output: string;
}

const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);
const NO_COLOR = { NO_COLOR: '1', FORCE_COLOR: '0' };

/** Runs publint on each workspace and attw on the client and server tarballs. */
export async function lintPackages(tarballs: Tarballs): Promise<LintResult[]> {
  const results: LintResult[] = [];
  for (const workspace of WORKSPACES) {
    const r = await run(bin('publint'), [workspace], { env: NO_COLOR, timeoutMs: 120_000 });
    const output = `${r.stdout}${r.stderr}`.trim();
    results.push({
      tool: 'publint',
      target: workspace,
      ok: r.code === 0 && output.includes('All good!'),
      output,
    });
  }
  for (const tarball of [tarballs.client, tarballs.server]) {
    const r = await run(bin('attw'), [tarball, '--profile', 'esm-only'], {
      env: NO_COLOR,
      timeoutMs: 120_000,
    });
    const output = `${r.stdout}${r.stderr}`.trim();
    results.push({
      tool: 'attw',
      target: tarball.slice(tarball.lastIndexOf('/') + 1),
      // attw exits 1 on any problem its profile does not ignore.
      ok: r.code === 0,
      output,
    });
  }
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = mkdtempSync(join(tmpdir(), 'vtrans-lint-packages-'));
  try {
    const results = await lintPackages(await packTarballs(dir));
    for (const r of results) console.log(`── ${r.tool} ${r.target}\n${r.output}\n`);
    const failed = results.filter((r) => !r.ok);
    if (failed.length > 0) {
      console.error(`lint:packages: ${failed.map((r) => `${r.tool} ${r.target}`).join(', ')}`);
      process.exitCode = 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
