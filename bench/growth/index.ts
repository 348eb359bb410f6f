/**
 * Growth benchmark: `npx tsx bench/growth/index.ts [--quick] [--jobs 10000,100000,1000000]
 * [--stores sqlite,memory,redis] [--json FILE]`. Needs the built server (`npm run build`); Redis
 * runs need redis-server. See README.md beside this file.
 */
import { writeFileSync } from 'node:fs';
import { hasService } from '@vtrans/test-support';
import { table } from './report.js';
import { FULL, QUICK, runStore, STORES, type StoreName, type StoreReport } from './run.js';

const USAGE =
  'usage: npx tsx bench/growth/index.ts [--quick] [--jobs 10000,100000,1000000] [--stores sqlite,memory,redis] [--json FILE]';
const VALUE_FLAGS = ['--jobs', '--stores', '--json'];
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(`${USAGE}\n(see bench/growth/README.md)\n`);
  process.exit(0);
}
for (let i = 0; i < args.length; i++) {
  const arg = args[i] ?? '';
  const problem =
    arg === '--quick'
      ? undefined
      : !VALUE_FLAGS.includes(arg)
        ? `unknown argument ${arg}`
        : args[i + 1] === undefined || args[i + 1]?.startsWith('-')
          ? `${arg} needs a value`
          : (i++, undefined);
  if (problem) {
    process.stderr.write(`growth: ${problem}\n${USAGE}\n`);
    process.exit(2);
  }
}
const valueOf = (flag: string): string | undefined => {
  const at = args.indexOf(flag);
  return at === -1 ? undefined : args[at + 1];
};
const quick = args.includes('--quick');
const sizes = (valueOf('--jobs') ?? (quick ? String(QUICK.jobs) : '10000,100000,1000000'))
  .split(',')
  .map(Number);
const stores = (valueOf('--stores') ?? STORES.join(',')).split(',') as StoreName[];
const jsonFile = valueOf('--json');
const log = (line: string) => process.stderr.write(`growth: ${line}\n`);
const badStore = stores.find((store) => !STORES.includes(store));
const badSize = valueOf('--jobs')
  ?.split(',')
  .find((jobs) => !Number.isSafeInteger(Number(jobs)) || Number(jobs) < 10);
if (badStore !== undefined || badSize !== undefined) {
  process.stderr.write(
    `growth: ${badStore !== undefined ? `--stores: unknown store ${badStore}: expected ${STORES.join(', ')}` : `--jobs: ${badSize} is not a count ≥ 10`}\n`,
  );
  process.exit(2);
}

const reports: StoreReport[] = [];
try {
  for (const store of stores) {
    if (store === 'redis' && !hasService('redis')) {
      log('redis-server is not installed: skipping the Redis store');
      continue;
    }
    for (const jobs of sizes) {
      reports.push(await runStore(store, { ...(quick ? QUICK : FULL), jobs }, log));
      if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify(reports, null, 2)}\n`);
    }
  }
  process.stdout.write(`${table(reports)}\n`);
} catch (err) {
  if (reports.length) process.stdout.write(`${table(reports)}\n`);
  process.stderr.write(
    `growth: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
}
