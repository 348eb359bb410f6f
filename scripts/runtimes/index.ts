/**
 * `npm run test:runtimes`: the packed packages on every runtime users run them on.
 *
 * - the client's behaviour checks (client-checks.ts) on Node 20 (this Node), 22 and 24, Bun and
 *   Deno, each loading the installed @vtrans/client, and in Debian's Chromium as an esbuild bundle
 *   in a page from another origin (so CORS is exercised);
 * - the server and CLI smoke test (server-smoke.ts) on Node 20, 22 and 24, each from a project
 *   where that Node installed the tarballs, so better-sqlite3 is built for its ABI in that scratch
 *   project (never in the repository's node_modules).
 *
 * Node 22 and 24, Bun and Deno come from the npm registry (tools.ts). Prints a table of what ran
 * where and the time of each phase; exits 1 if anything failed. `--only node22,bun` runs a subset
 * (node20, node22, node24, bun, deno, chromium).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  installConsumer,
  npmCli,
  packTarballs,
  type Installed,
} from '../packaging/consumer-project.js';
import { seedFromRepository } from '../packaging/prebuilds.js';
import { run, runOk } from '../packaging/run.js';
import { startApiServer } from './api-server.js';
import type { CheckResult } from './client-checks.js';
import { bundleForBrowser, bundleForRuntimes, runInChromium, runInRuntime } from './client-runs.js';
import { serverSmoke } from './server-smoke.js';
import { installTools } from './tools.js';

const CHROMIUM = '/usr/bin/chromium';
const ALL = ['node20', 'node22', 'node24', 'bun', 'deno', 'chromium'] as const;
type RuntimeName = (typeof ALL)[number];

interface Row {
  runtime: RuntimeName;
  version: string;
  client?: CheckResult[];
  smoke?: CheckResult[];
}

const phases: [string, number][] = [];
async function phase<T>(name: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await work();
  } finally {
    phases.push([name, Date.now() - started]);
    console.log(`test:runtimes: ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
}

function selected(): Set<RuntimeName> {
  const flag = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  if (!flag) return new Set(ALL);
  const names = flag.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !(ALL as readonly string[]).includes(n));
  if (unknown.length > 0) {
    console.error(
      `test:runtimes: unknown runtime ${unknown.join(', ')} (one of ${ALL.join(', ')})`,
    );
    process.exit(2);
  }
  return new Set(names as RuntimeName[]);
}

/** `deno 2.9.6 (stable, …)` → `deno 2.9.6`. */
const shortVersion = (text: string) => text.trim().split(/\s+/).slice(0, 2).join(' ');
const summary = (results: CheckResult[] | undefined) =>
  results === undefined ? '—' : `${results.filter((r) => r.ok).length}/${results.length} passed`;

async function main(): Promise<number> {
  const only = selected();
  const started = Date.now();
  await phase('build', () =>
    runOk(process.execPath, [npmCli(), 'run', 'build'], { cleanEnv: true }),
  );
  const scratch = mkdtempSync(join(tmpdir(), 'vtrans-runtimes-'));
  const rows: Row[] = [];
  let failed = true;
  try {
    const [tools, tarballs] = await Promise.all([
      phase('fetch Node 22, Node 24, Bun, Deno from the registry', installTools),
      phase('pack the three packages', async () => {
        const packed = await packTarballs(join(scratch, 'tarballs'));
        await seedFromRepository();
        return packed;
      }),
    ]);
    const specs = [tarballs.client, tarballs.server, tarballs.cli];
    const nodes = [
      { runtime: 'node20' as const, label: `node ${process.version}`, execPath: process.execPath },
      ...tools.nodes.map((n) => ({
        runtime: `node${n.major}` as RuntimeName,
        label: `node ${n.major}`,
        execPath: n.execPath,
      })),
    ].filter((n) => n.runtime === 'node20' || only.has(n.runtime));
    const installs = new Map<RuntimeName, Installed>();
    await phase('install the tarballs with each Node (better-sqlite3 per ABI)', async () => {
      const done = await Promise.all(
        nodes.map((n) => installConsumer(join(scratch, n.runtime), specs, n)),
      );
      nodes.forEach((n, i) => installs.set(n.runtime, done[i]!));
      for (const i of done)
        console.log(
          `  node ${i.node.version}: ${(i.ms / 1000).toFixed(1)} s, better-sqlite3 ` +
            (i.compiled ? 'compiled (kept for the next run)' : 'from a kept build'),
        );
    });
    const base = installs.get('node20')!;
    for (const i of installs.values()) await bundleForRuntimes(i.dir);
    const browserBundle = await bundleForBrowser(base.dir);
    const api = await startApiServer(() => browserBundle);
    try {
      for (const n of nodes) {
        if (!only.has(n.runtime)) continue;
        const installed = installs.get(n.runtime)!;
        rows.push({
          runtime: n.runtime,
          version: installed.node.version,
          client: await phase(`client checks on ${n.label}`, () =>
            runInRuntime([n.execPath], installed.dir, api.config),
          ),
          smoke: await phase(`server and CLI smoke on ${n.label}`, () =>
            serverSmoke(n.execPath, installed.dir),
          ),
        });
      }
      if (only.has('bun')) {
        const version = `bun ${shortVersion((await run(tools.bun, ['--version'])).stdout)}`;
        const client = await phase('client checks on Bun', () =>
          runInRuntime([tools.bun], base.dir, api.config),
        );
        rows.push({ runtime: 'bun', version, client });
      }
      if (only.has('deno')) {
        const version = shortVersion((await run(tools.deno, ['--version'])).stdout);
        const command = [tools.deno, 'run', '--no-prompt', '--allow-net=127.0.0.1'];
        const client = await phase('client checks on Deno', () =>
          runInRuntime(command, base.dir, api.config),
        );
        rows.push({ runtime: 'deno', version, client });
      }
      if (only.has('chromium')) {
        if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (.ci/run installs it)`);
        const version = shortVersion((await run(CHROMIUM, ['--version'])).stdout);
        const client = await phase('client checks in Chromium', () =>
          runInChromium(api.pageOrigin, api.config),
        );
        rows.push({ runtime: 'chromium', version, client });
      }
    } finally {
      await api.close();
    }
    failed = rows.some((r) => [...(r.client ?? []), ...(r.smoke ?? [])].some((c) => !c.ok));
  } finally {
    report(rows, Date.now() - started);
    if (failed) console.log(`test:runtimes: scratch projects kept in ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
  }
  return failed ? 1 : 0;
}

function report(rows: Row[], totalMs: number): void {
  console.log('\n| runtime | version | client checks | server + CLI smoke |');
  console.log('| ------- | ------- | ------------- | ------------------ |');
  for (const r of rows)
    console.log(`| ${r.runtime} | ${r.version} | ${summary(r.client)} | ${summary(r.smoke)} |`);
  const failures = rows.flatMap((r) =>
    [...(r.client ?? []), ...(r.smoke ?? [])]
      .filter((c) => !c.ok)
      .map((c) => `  ${r.runtime}: ${c.name}: ${c.detail}`),
  );
  if (failures.length > 0) console.log(`\nfailed:\n${failures.join('\n')}`);
  const checkNames = rows[0]?.client?.map((c) => c.name) ?? [];
  if (checkNames.length > 0) console.log(`\nclient checks: ${checkNames.join('; ')}`);
  const smokeNames = rows.find((r) => r.smoke)?.smoke?.map((c) => c.name) ?? [];
  if (smokeNames.length > 0) console.log(`server + CLI smoke: ${smokeNames.join('; ')}`);
  console.log('\nphases:');
  for (const [name, ms] of phases)
    console.log(`  ${(ms / 1000).toFixed(1).padStart(6)} s  ${name}`);
  console.log(
    `test:runtimes: ${(totalMs / 1000).toFixed(0)} s of checks, ` +
      `${process.uptime().toFixed(0)} s since the process started`,
  );
}

// Exit at once: keep-alive sockets to the servers stopped above would hold the event loop open.
process.exit(await main());
