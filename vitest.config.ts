/**
 * One vitest run, its tests grouped by kind as projects (`vitest run --project unit`, or `npm run
 * test:fast` for everything but the soak):
 *
 * - unit     pure logic, no sockets
 * - http     a real in-process server or scripted HTTP servers (every test file not listed below)
 * - process  the built server, CLI or examples as child processes
 * - redis    a real redis-server
 * - browser  Debian's Chromium
 * - bench    each benchmark in its quick mode
 * - soak     a minute of mixed load, then the return to baseline
 *
 * The global setup builds once per run (so `dist/` is never stale); the setup file stops the
 * services a test file started.
 */
import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

const src = (pkg: string) =>
  fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));
const server = (name: string) => `packages/server/test/${name}.test.ts`;
const client = (name: string) => `packages/client/test/${name}.test.ts`;

const KINDS = {
  unit: [
    ...['backoff', 'errors', 'headers', 'options', 'poll-schedule', 'retry-budget'].map(client),
    ...['sse-parser', 'verify-webhook'].map(client),
    ...['collections', 'metric-series', 'simulator', 'tracked-jobs', 'webhook-signature'].map(
      server,
    ),
    'packages/cli/test/progress.test.ts',
  ],
  process: [
    ...['jobs', 'serve-demo', 'usage'].map((n) => `packages/cli/test/${n}.test.ts`),
    'scripts/**/*.test.ts',
    'examples/**/*.test.ts',
    ...['auth', 'config', 'durability', 'durability-load', 'sqlite-store'].map(server),
  ],
  redis: [server('redis-*'), server('webhook-redis')],
  browser: [server('dashboard'), server('dashboard-auth'), client('browser')],
  bench: ['bench/**/*.test.ts'],
  soak: [server('soak')],
} as const;

const listed = Object.values(KINDS).flat();

const project = (name: string, include: readonly string[], exclude: readonly string[] = []) => ({
  extends: true as const,
  test: { name, include: [...include], exclude: [...configDefaults.exclude, ...exclude] },
});

export default defineConfig({
  resolve: {
    alias: {
      '@vtrans/client': src('client'),
      '@vtrans/server': src('server'),
      '@vtrans/test-support': src('test-support'),
    },
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default'],
    globalSetup: ['packages/test-support/src/global-setup.ts'],
    setupFiles: ['packages/test-support/src/setup-file.ts'],
    projects: [
      ...Object.entries(KINDS).map(([name, include]) => project(name, include)),
      project('http', ['packages/*/test/**/*.test.ts'], listed),
    ],
  },
});
