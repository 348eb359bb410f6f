/**
 * Growth benchmark: `npx tsx bench/growth/index.ts [--quick] [--jobs 10000,100000,1000000]
 * [--stores sqlite,memory,redis] [--json FILE]`. Needs the built server (`npm run build`); Redis
 * runs need redis-server. See README.md beside this file.
 */
import { writeFileSync } from 'node:fs';
import { hasService } from '@vtrans/test-support';
import { table } from './report.js';
import { FULL, QUICK, runStore, STORES, type StoreName, type StoreReport } from './run.js';

const args = process.argv.slice(2);
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

const reports: StoreReport[] = [];
try {
  for (const store of stores) {
    if (!STORES.includes(store))
      throw new Error(`unknown store ${store}: expected ${STORES.join(', ')}`);
    if (store === 'redis' && !hasService('redis')) {
      log('redis-server is not installed: skipping the Redis store');
      continue;
    }
    for (const jobs of sizes) {
      if (!Number.isSafeInteger(jobs) || jobs < 10)
        throw new Error(`--jobs: ${jobs} is not a count ≥ 10`);
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
