/**
 * The programs some suites need beyond npm packages: Debian's `redis-server`, `nginx` and
 * `chromium`. `.ci/run` installs them and sets `CI`; there a missing one fails the suite that needs it (the
 * guarantees cite those suites, so they must not pass by skipping). Elsewhere the suite is skipped
 * with one line saying why.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM_PATH = '/usr/bin/chromium';

const SERVICES = {
  redis: {
    present: () => spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0,
    what: 'redis-server is not installed',
    install: 'apt-get install -y redis-server',
  },
  nginx: {
    present: () => spawnSync('nginx', ['-v'], { stdio: 'ignore' }).status === 0,
    what: 'nginx is not installed',
    install: 'apt-get install -y nginx',
  },
  chromium: {
    present: () => existsSync(CHROMIUM_PATH),
    what: `${CHROMIUM_PATH} is missing`,
    install: 'apt-get install -y chromium',
  },
} as const;

export type Service = keyof typeof SERVICES;

/** True in CI, where every suite must run: `CI` set to anything but `0`/`false`. */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI?.trim().toLowerCase();
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
}

const known = new Map<Service, boolean>();

/** Whether `service` is installed, without judging. */
export function hasService(service: Service): boolean {
  let present = known.get(service);
  if (present === undefined) {
    present = SERVICES[service].present();
    known.set(service, present);
  }
  return present;
}

/**
 * Whether the suite that needs `service` can run. Missing in CI: throws, so the test file fails.
 * Missing elsewhere: warns once with the reason and returns false (use with `describe.skipIf`).
 */
export function needs(service: Service, suite: string): boolean {
  if (hasService(service)) return true;
  const { what, install } = SERVICES[service];
  if (isCi()) throw new Error(`${suite}: ${what}, and CI runs every suite (${install})`);
  console.warn(`${suite}: skipped, ${what} (${install}; .ci/run installs it)`);
  return false;
}
