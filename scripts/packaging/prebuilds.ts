/**
 * Reusing a compiled better-sqlite3 addon between scratch installs, never a foreign one.
 *
 * better-sqlite3 installs with `prebuild-install || node-gyp rebuild`; prebuild-install first looks
 * in a local directory (its `local-prebuilds` option, read from a `.prebuild-installrc` file in the
 * installing project) for `better-sqlite3-v<version>-node-v<ABI>-<platform><libc>-<arch>.tar.gz`.
 * The name is the guard: an addon is reused only by the same better-sqlite3 version on the same
 * Node ABI, platform, C library and architecture; anything else compiles from source (~90 s), and
 * that result is kept here for the next install. The repository's own addon (compiled by `npm ci`
 * for the Node running this) seeds the cache for that Node.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runOk } from './run.js';

/**
 * In the user's cache directory, like npm's own cache: kept across clones and `npm ci` on this
 * machine, empty on a new one.
 */
export const PREBUILDS_DIR = join(
  process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'),
  'vtrans',
  'better-sqlite3-prebuilds',
);

const ADDON = join('build', 'Release', 'better_sqlite3.node');

export interface NodeTarget {
  /** Node's `process.versions.modules`. */
  abi: string;
  platform: string;
  arch: string;
  /** `''` for glibc, `'musl'` otherwise, as prebuild-install names it. */
  libc: string;
}

/** The target of the Node running this. */
export function hostTarget(): NodeTarget {
  const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } })
    .header;
  return {
    abi: process.versions.modules,
    platform: process.platform,
    arch: process.arch,
    libc: process.platform === 'linux' && !header?.glibcVersionRuntime ? 'musl' : '',
  };
}

/** prebuild-install's file name for this version and target. */
export function prebuildName(version: string, target: NodeTarget): string {
  return `better-sqlite3-v${version}-node-v${target.abi}-${target.platform}${target.libc}-${target.arch}.tar.gz`;
}

/** The file `.prebuild-installrc` needs to send prebuild-install to {@link PREBUILDS_DIR}. */
export function prebuildInstallRc(): string {
  return `local-prebuilds=${PREBUILDS_DIR}\n`;
}

function versionIn(packageDir: string): string {
  return (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string })
    .version;
}

/**
 * Keeps the addon of the better-sqlite3 installed at `packageDir` (built for `target`) as a
 * prebuild, unless one of that name is there already. Returns its file name.
 */
export async function keepPrebuild(packageDir: string, target: NodeTarget): Promise<string> {
  const name = prebuildName(versionIn(packageDir), target);
  const file = join(PREBUILDS_DIR, name);
  if (existsSync(file) || !existsSync(join(packageDir, ADDON))) return name;
  mkdirSync(PREBUILDS_DIR, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await runOk('tar', ['-czf', temp, '-C', packageDir, ADDON]);
  renameSync(temp, file);
  return name;
}

/** Seeds the cache with the repository's own addon, compiled for the Node running this. */
export async function seedFromRepository(): Promise<string> {
  return keepPrebuild(join(ROOT, 'node_modules', 'better-sqlite3'), hostTarget());
}

/** Writes `.prebuild-installrc` into a project about to install better-sqlite3. */
export function usePrebuilds(projectDir: string): void {
  writeFileSync(join(projectDir, '.prebuild-installrc'), prebuildInstallRc());
}

/** Whether the addon at `packageDir` was compiled there (node-gyp leaves its objects behind). */
export function wasCompiled(packageDir: string): boolean {
  return existsSync(join(packageDir, 'build', 'Release', 'obj.target'));
}
