/**
 * The packages as a user gets them: `npm pack` of each workspace, installed into a blank project
 * in a scratch directory (outside the repository, so nothing resolves from its node_modules), with
 * a chosen Node running npm and the install scripts.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT, run, runOk } from './run.js';
import { keepPrebuild, usePrebuilds, wasCompiled, type NodeTarget } from './prebuilds.js';

export const WORKSPACES = ['packages/client', 'packages/server', 'packages/cli'] as const;

export interface Tarballs {
  client: string;
  server: string;
  cli: string;
}

/** npm's own script, which any Node can run (`npm` on PATH is tied to the Node that runs this). */
export function npmCli(): string {
  const candidates = [
    process.env.npm_execpath,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
  ];
  const found = candidates.find((c) => c?.endsWith('npm-cli.js') && existsSync(c));
  if (!found) throw new Error(`cannot find npm-cli.js (looked at ${candidates.join(', ')})`);
  return found;
}

let globalConfig: Promise<string> | undefined;

/**
 * The npm configuration file of the npm running here (`<prefix>/etc/npmrc`: registry, CA file,
 * proxy). npm run by another Node would look for it under that Node's prefix instead.
 */
export function npmGlobalConfig(): Promise<string> {
  globalConfig ??= runOk(process.execPath, [npmCli(), 'config', 'get', 'globalconfig'], {
    cleanEnv: true,
  }).then((r) => r.stdout.trim());
  return globalConfig;
}

/**
 * Packs the three workspaces into `destDir` (their `dist/` must be built: `npm run build`).
 * Returns the tarball paths.
 */
export async function packTarballs(destDir: string): Promise<Tarballs> {
  for (const workspace of WORKSPACES) {
    if (!existsSync(join(ROOT, workspace, 'dist')))
      throw new Error(`${workspace}/dist is missing: run \`npm run build\` first`);
  }
  mkdirSync(destDir, { recursive: true });
  const args = ['pack', '--json', '--pack-destination', destDir];
  for (const workspace of WORKSPACES) args.push('--workspace', workspace);
  const { stdout } = await runOk(process.execPath, [npmCli(), ...args], { cleanEnv: true });
  const packed = JSON.parse(stdout) as { name: string; filename: string }[];
  const path = (name: string) => {
    const entry = packed.find((p) => p.name === name);
    if (!entry) throw new Error(`npm pack did not pack ${name}`);
    return join(destDir, entry.filename);
  };
  return {
    client: path('@vtrans/client'),
    server: path('@vtrans/server'),
    cli: path('@vtrans/cli'),
  };
}

/** A Node binary and where its headers live (for compiling better-sqlite3 against it). */
export interface NodeBinary {
  label: string;
  execPath: string;
}

export interface NodeFacts extends NodeTarget {
  version: string;
}

/** Version and addon target of a Node binary, as it reports them. */
export async function factsOf(execPath: string): Promise<NodeFacts> {
  const script =
    'const h=process.report.getReport().header;console.log(JSON.stringify({version:process.version,' +
    "abi:process.versions.modules,platform:process.platform,arch:process.arch,libc:process.platform==='linux'&&!h.glibcVersionRuntime?'musl':''}))";
  const { stdout } = await runOk(execPath, ['-e', script], { cleanEnv: true });
  return JSON.parse(stdout) as NodeFacts;
}

export interface Installed {
  dir: string;
  node: NodeFacts;
  ms: number;
  /** better-sqlite3 was compiled from source (no matching prebuild was kept); now it is. */
  compiled: boolean;
  log: string;
}

/**
 * Installs `specs` (tarball paths, registry specs) into a new blank project at `dir`, with `node`
 * running npm and every install script (so better-sqlite3 is built for that Node's ABI, against
 * that Node's headers).
 */
export async function installConsumer(
  dir: string,
  specs: string[],
  node: NodeBinary = { label: `node ${process.version}`, execPath: process.execPath },
): Promise<Installed> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify(
      {
        name: 'vtrans-consumer',
        private: true,
        // npm runs a dependency's install script only when the project allows it.
        allowScripts: { 'better-sqlite3': true },
      },
      null,
      2,
    )}\n`,
  );
  usePrebuilds(dir);
  const facts = await factsOf(node.execPath);
  const prefix = dirname(dirname(node.execPath));
  const env: Record<string, string | undefined> = {
    PATH: `${dirname(node.execPath)}:${process.env.PATH ?? ''}`,
    // node-gyp compiles against these headers; without it, a user-level `nodedir` could point
    // at another Node's headers.
    npm_config_nodedir: existsSync(join(prefix, 'include', 'node')) ? prefix : undefined,
    npm_config_globalconfig: await npmGlobalConfig(),
  };
  const started = Date.now();
  const result = await run(
    node.execPath,
    [npmCli(), 'install', '--no-audit', '--no-fund', '--prefer-offline', ...specs],
    { cwd: dir, cleanEnv: true, env, timeoutMs: 600_000 },
  );
  const ms = Date.now() - started;
  const log = `${result.stdout}\n${result.stderr}`;
  if (result.code !== 0)
    throw new Error(`npm install with ${node.label} failed (${result.code}):\n${log}`);
  const addonDir = join(dir, 'node_modules', 'better-sqlite3');
  const compiled = existsSync(addonDir) && wasCompiled(addonDir);
  if (compiled) await keepPrebuild(addonDir, facts);
  return { dir, node: facts, ms, compiled, log };
}
