/**
 * The three packages as a user gets them: `npm pack`, installed into a blank project in a scratch
 * directory, then used there — ESM and CommonJS, TypeScript under node16 and bundler resolution,
 * the `vtrans` command through npx, `startServer()` — and linted by publint and attw.
 *
 * One install per run (~10-20 s from npm's cache). better-sqlite3 reuses the repository's own
 * compiled addon when the installed version and the Node ABI are the same (see prebuilds.ts);
 * otherwise it compiles once (~90 s) and is kept for the next run.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BROWSER_CONSUMER,
  CJS_PROGRAM,
  ESM_PROGRAM,
  TSCONFIGS,
  TYPED_CONSUMER,
} from './consumer-files.js';
import {
  installConsumer,
  packTarballs,
  type Installed,
  type Tarballs,
} from './consumer-project.js';
import { lintPackages } from './lint-packages.js';
import { seedFromRepository } from './prebuilds.js';
import { isGroupAlive, ROOT, run, startInGroup } from './run.js';

const INSTALL_TIMEOUT_MS = 600_000;

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

describe('the packed packages installed into a blank project', () => {
  let scratch: string;
  let tarballs: Tarballs;
  let project: Installed;
  const app = () => project.dir;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'vtrans-packages-'));
    tarballs = await packTarballs(join(scratch, 'tarballs'));
    await seedFromRepository();
    const typesNode = readJson<{ version: string }>(
      join(ROOT, 'node_modules', '@types', 'node', 'package.json'),
    ).version;
    project = await installConsumer(join(scratch, 'app'), [
      tarballs.client,
      tarballs.server,
      tarballs.cli,
      `@types/node@${typesNode}`,
    ]);
    console.log(
      `packaging: installed in ${project.ms} ms with node ${project.node.version}; better-sqlite3 ` +
        (project.compiled ? 'compiled from source (kept for the next run)' : 'from a kept build'),
    );
  }, INSTALL_TIMEOUT_MS);

  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('ships what each package needs and nothing of its tests, with the same license and engines', async () => {
    const rootEngines = readJson<{ engines: { node: string } }>(join(ROOT, 'package.json')).engines;
    const contents: Record<string, string[]> = {};
    for (const [name, tarball] of Object.entries(tarballs)) {
      const { stdout } = await run('tar', ['-tzf', tarball]);
      contents[name] = stdout.split('\n').filter(Boolean);
      const manifest = readJson<{ license: string; engines: { node: string } }>(
        join(app(), 'node_modules', '@vtrans', name, 'package.json'),
      );
      expect(manifest.license, name).toBe('MIT');
      expect(manifest.engines, name).toEqual(rootEngines);
      for (const file of ['package/package.json', 'package/README.md', 'package/LICENSE'])
        expect(contents[name], `${name}: ${file}`).toContain(file);
      expect(
        contents[name].filter((f) => /\/test\/|\.test\./.test(f)),
        name,
      ).toEqual([]);
    }
    expect(contents.client).toContain('package/dist/index.js');
    expect(contents.client).toContain('package/dist/index.d.ts');
    expect(contents.server).toContain('package/dist/main.js');
    expect(contents.server).toContain('package/public/index.html');
    expect(contents.cli).toContain('package/bin/vtrans.js');
    expect(contents.cli).toContain('package/dist/bin.js');
  });

  it('imports the client as an ES module against a server from startServer() on SQLite', async () => {
    writeFileSync(join(app(), 'esm.mjs'), ESM_PROGRAM);
    const r = await run(process.execPath, ['esm.mjs'], { cwd: app(), cleanEnv: true });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      store: 'sqlite',
      status: 'completed',
      failed: true,
      notFound: true,
    });
  });

  it('require()s the client and the server from CommonJS', async () => {
    writeFileSync(join(app(), 'cjs.cjs'), CJS_PROGRAM);
    const r = await run(process.execPath, ['cjs.cjs'], { cwd: app(), cleanEnv: true });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ status: 'completed', badRequest: 400 });
  });

  it.each(Object.keys(TSCONFIGS))(
    'type-checks a strict consumer with %s',
    async (name) => {
      for (const ext of ['ts', 'mts', 'cts'])
        writeFileSync(join(app(), `typed-consumer.${ext}`), TYPED_CONSUMER);
      writeFileSync(join(app(), 'browser-consumer.ts'), BROWSER_CONSUMER);
      writeFileSync(join(app(), name), JSON.stringify(TSCONFIGS[name], null, 2));
      const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      const r = await run(process.execPath, [tsc, '-p', name], { cwd: app(), timeoutMs: 170_000 });
      expect(`${r.stdout}${r.stderr}`).toBe('');
      expect(r.code).toBe(0);
    },
    180_000,
  );

  it('runs `npx vtrans serve` and `npx vtrans create --wait` from the installed CLI', async () => {
    const help = await run('npx', ['vtrans', '--help'], { cwd: app(), cleanEnv: true });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: vtrans');

    const server = startInGroup(
      'npx',
      ['vtrans', 'serve', '--port', '0', '--store', 'sqlite:./data/cli.db'],
      { cwd: app(), cleanEnv: true },
    );
    try {
      await server.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 30_000);
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.output())?.[1] ?? '';
      const created = await run(
        'npx',
        ['vtrans', 'create', '--wait', '--json', '--duration', '300ms', '--outcome', 'completed'],
        { cwd: app(), cleanEnv: true, env: { VTRANS_URL: url }, timeoutMs: 60_000 },
      );
      expect(created.code, created.stderr).toBe(0);
      expect((JSON.parse(created.stdout) as { status: string }).status).toBe('completed');
      // Ctrl-C: the server inside shuts down gracefully and the whole group is gone.
      server.signalGroup('SIGINT');
      await server.exited;
      const deadline = Date.now() + 10_000;
      while (isGroupAlive(server.pid) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(isGroupAlive(server.pid)).toBe(false);
      expect(server.output()).not.toContain('again, exiting now');
    } finally {
      server.killGroup();
    }
  }, 120_000);

  it('passes publint and attw', async () => {
    const results = await lintPackages(tarballs);
    for (const r of results) console.log(`── ${r.tool} ${r.target}\n${r.output}`);
    expect(results.filter((r) => !r.ok).map((r) => `${r.tool} ${r.target}`)).toEqual([]);
  }, 300_000);
});
