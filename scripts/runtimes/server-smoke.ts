/**
 * The server and the CLI on one Node, from a project where that Node installed the tarballs (so
 * better-sqlite3 is built for its ABI): `vtrans serve` on SQLite, `vtrans create --wait` (a job that
 * completes, one that fails), `vtrans list`, the dashboard, API docs and metrics pages, a graceful
 * SIGTERM, a restart on the same database that still has the job, and `startServer()` imported by
 * an ES module.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ESM_PROGRAM } from '../packaging/consumer-files.js';
import { run, startInGroup, type Background } from '../packaging/run.js';
import type { CheckResult } from './client-checks.js';

const LISTENING = /listening on (http:\/\/127\.0\.0\.1:\d+)/;

type Step = [name: string, run: () => Promise<string>];

class StepFailed extends Error {}

function expectThat(condition: boolean, message: string): asserts condition {
  if (!condition) throw new StepFailed(message);
}

/** Runs the smoke steps with `node` in `projectDir`; after a failed step the rest are not run. */
export async function serverSmoke(node: string, projectDir: string): Promise<CheckResult[]> {
  const env = { PATH: `${dirname(node)}:${process.env.PATH ?? ''}`, NO_COLOR: '1' };
  const vtransJs = join(projectDir, 'node_modules', '@vtrans', 'cli', 'bin', 'vtrans.js');
  const vtrans = (args: string[]) =>
    run(node, [vtransJs, ...args], { cwd: projectDir, cleanEnv: true, env, timeoutMs: 60_000 });
  const serve = () =>
    startInGroup(
      node,
      [
        vtransJs,
        'serve',
        '--port',
        '0',
        '--store',
        'sqlite:./data/smoke.db',
        '--log-level',
        'silent',
      ],
      { cwd: projectDir, cleanEnv: true, env },
    );
  let server: Background | undefined;
  let url = '';
  let completedId = '';

  const startServe = async () => {
    server = serve();
    await server.waitFor(LISTENING, 30_000);
    url = LISTENING.exec(server.output())?.[1] ?? '';
    return url;
  };
  const stopServe = async (signal: NodeJS.Signals) => {
    const current = server;
    expectThat(current !== undefined, 'no server');
    current.signalGroup(signal);
    const exit = await current.exited;
    server = undefined;
    expectThat(exit.code === 0, `exit ${exit.code ?? exit.signal}: ${current.output().trim()}`);
    return `exit 0`;
  };

  const steps: Step[] = [
    ['vtrans serve starts on SQLite', startServe],
    [
      'vtrans create --wait: completed, exit 0',
      async () => {
        const r = await vtrans([
          'create',
          '--wait',
          '--json',
          '--duration',
          '300ms',
          '--outcome',
          'completed',
          '--url',
          url,
        ]);
        expectThat(r.code === 0, `exit ${r.code}: ${r.stderr.trim()}`);
        const job = JSON.parse(r.stdout) as { id: string; status: string };
        expectThat(job.status === 'completed', `status ${job.status}`);
        completedId = job.id;
        return job.id;
      },
    ],
    [
      'vtrans create --wait: failed job, exit 1',
      async () => {
        const r = await vtrans([
          'create',
          '--wait',
          '--json',
          '--duration',
          '100ms',
          '--outcome',
          'error',
          '--url',
          url,
        ]);
        expectThat(r.code === 1, `exit ${r.code}: ${r.stderr.trim()}`);
        return 'exit 1';
      },
    ],
    [
      'vtrans list shows the job',
      async () => {
        const r = await vtrans(['list', '--json', '--url', url]);
        expectThat(r.code === 0, `exit ${r.code}: ${r.stderr.trim()}`);
        const count = r.stdout.split(completedId).length - 1;
        expectThat(count >= 1, `the completed job is not listed: ${r.stdout.slice(0, 500)}`);
        return 'listed';
      },
    ],
    [
      'dashboard, API docs and metrics answer 200',
      async () => {
        const statuses = await Promise.all(
          ['/', '/docs/', '/metrics'].map(async (path) => {
            const res = await fetch(`${url}${path}`);
            await res.arrayBuffer();
            return `${path} ${res.status}`;
          }),
        );
        expectThat(
          statuses.every((s) => s.endsWith(' 200')),
          statuses.join(', '),
        );
        return statuses.join(', ');
      },
    ],
    ['SIGTERM: graceful, exit 0', () => stopServe('SIGTERM')],
    ['restarted on the same database', startServe],
    [
      'vtrans get: the job is still there, completed',
      async () => {
        const r = await vtrans(['get', completedId, '--json', '--url', url]);
        expectThat(r.code === 0, `exit ${r.code}: ${r.stderr.trim()}`);
        const job = JSON.parse(r.stdout) as { status: string };
        expectThat(job.status === 'completed', `status ${job.status}`);
        return job.status;
      },
    ],
    ['SIGINT: graceful, exit 0', () => stopServe('SIGINT')],
    [
      'startServer() from an ES module, with the client',
      async () => {
        writeFileSync(join(projectDir, 'esm.mjs'), ESM_PROGRAM);
        const r = await run(node, ['esm.mjs'], { cwd: projectDir, cleanEnv: true, env });
        expectThat(r.code === 0, `exit ${r.code}: ${r.stderr.trim()}`);
        const out = JSON.parse(r.stdout) as Record<string, unknown>;
        const expected = { store: 'sqlite', status: 'completed', failed: true, notFound: true };
        expectThat(JSON.stringify(out) === JSON.stringify(expected), r.stdout.trim());
        return 'sqlite, completed';
      },
    ],
  ];

  const results: CheckResult[] = [];
  let broken = '';
  try {
    for (const [name, step] of steps) {
      const started = Date.now();
      if (broken) {
        results.push({ name, ok: false, ms: 0, detail: `not run: ${broken} failed` });
        continue;
      }
      try {
        results.push({ name, ok: true, ms: Date.now() - started, detail: await step() });
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error);
        results.push({ name, ok: false, ms: Date.now() - started, detail });
        broken = name;
      }
    }
  } finally {
    server?.killGroup();
  }
  return results;
}
