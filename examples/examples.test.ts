/** Every example runs to completion and prints what its README promises. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));

// The examples import the workspace packages by name; the built dist is what they resolve to.
describe('examples', () => {
  it('wait-for-job notices completion', async () => {
    const { stdout } = await run(tsx, ['examples/wait-for-job.ts'], { cwd: root, timeout: 60_000 });
    expect(stdout).toMatch(/^created job_[a-z2-7]{20}/m);
    expect(stdout).toMatch(/completed: https:\/\/|the job failed:/);
  }, 90_000);

  it('translate-many completes every job with few requests', async () => {
    const { stdout } = await run(tsx, ['examples/translate-many.ts'], {
      cwd: root,
      timeout: 60_000,
    });
    const m = /(\d+)\/50 completed in \d+ ms: (\d+) requests to create, (\d+) to wait/.exec(stdout);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBe(50);
    expect(Number(m![2])).toBe(50);
    // About one shared long poll per finish (jobs finishing together share one), where a loop per
    // job polling each second would need 50 × several.
    expect(Number(m![3])).toBeLessThanOrEqual(60);
  }, 90_000);
});
