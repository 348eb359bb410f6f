/**
 * Running the client checks: bundled by esbuild next to an installed @vtrans/client, then run by
 * Node, Bun or Deno as a program, or by Debian's Chromium in a page from another origin.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { chromium } from 'playwright-core';
import { chromiumOptions } from '@vtrans/test-support';
import { run } from '../packaging/run.js';
import type { CheckResult, ClientChecksConfig } from './client-checks.js';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/** Resolves `@vtrans/client` from the consumer project, not from this repository. */
function installedClient(projectDir: string): Plugin {
  return {
    name: 'installed-client',
    setup(b) {
      b.onResolve({ filter: /^@vtrans\/client$/ }, async (args) => {
        if (args.pluginData === 'installed') return undefined;
        const resolved = await b.resolve(args.path, {
          kind: args.kind,
          resolveDir: projectDir,
          pluginData: 'installed',
        });
        return resolved.errors.length > 0 ? { errors: resolved.errors } : { path: resolved.path };
      });
    },
  };
}

/** Writes `client-checks.mjs` into `projectDir`, importing the client installed there. */
export async function bundleForRuntimes(projectDir: string): Promise<string> {
  const outfile = join(projectDir, 'client-checks.mjs');
  await build({
    entryPoints: [here('./client-entry.ts')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    external: ['@vtrans/client'],
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}

/** The browser page's script: the checks with the client installed in `projectDir`, bundled. */
export async function bundleForBrowser(projectDir: string): Promise<string> {
  const result = await build({
    entryPoints: [here('./browser-entry.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    plugins: [installedClient(projectDir)],
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}

function parseResults(stdout: string, stderr: string, code: number | null): CheckResult[] {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as CheckResult[];
  } catch {
    return [
      {
        name: 'the checks ran',
        ok: false,
        ms: 0,
        detail: `exit ${code}: ${(stderr || stdout).trim().slice(-2000)}`,
      },
    ];
  }
}

/** Runs the bundled checks with a runtime's command line (`[deno, 'run', '--allow-net']`, …). */
export async function runInRuntime(
  command: string[],
  projectDir: string,
  config: ClientChecksConfig,
): Promise<CheckResult[]> {
  const [executable, ...args] = command;
  if (executable === undefined) throw new Error('no command');
  const encoded = Buffer.from(JSON.stringify(config)).toString('base64');
  const r = await run(executable, [...args, 'client-checks.mjs', encoded], {
    cwd: projectDir,
    cleanEnv: true,
    // Deno keeps its module cache here; a scratch one per run leaves the user's alone.
    env: { DENO_DIR: join(projectDir, '.deno'), NO_COLOR: '1' },
    timeoutMs: 300_000,
  });
  return parseResults(r.stdout, r.stderr, r.code);
}

/** Runs the checks in headless Chromium, in a page served from `pageOrigin`. */
export async function runInChromium(
  pageOrigin: string,
  config: ClientChecksConfig,
): Promise<CheckResult[]> {
  const profile = mkdtempSync(join(tmpdir(), 'vtrans-runtimes-chromium-'));
  const context = await chromium.launchPersistentContext(profile, chromiumOptions());
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(pageOrigin);
    await page.waitForFunction('typeof window.runClientChecks === "function"', undefined, {
      timeout: 10_000,
    });
    const results = await page.evaluate<CheckResult[]>(
      `window.runClientChecks(${JSON.stringify(config)})`,
    );
    if (errors.length > 0)
      results.push({ name: 'no page errors', ok: false, ms: 0, detail: errors.join('; ') });
    return results;
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
