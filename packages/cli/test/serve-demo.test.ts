/** `vtrans serve` (flags over environment over .env) and `vtrans demo`, as the built binary. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, lines, runCli, spawnCli } from './helpers/cli.js';

const NUMBER_WORDS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

describe('serve', () => {
  it('serves with flags winning over the environment and .env, and stops gracefully on SIGTERM', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'vtrans-serve-'));
    writeFileSync(join(cwd, '.env'), 'TRANSLATION_DELAY=9000\nERROR_PROBABILITY=1\n');
    const run = spawnCli(
      [
        'serve',
        '--port',
        '0',
        '--store',
        'memory',
        '--translation-delay',
        '150',
        '--translation-delay-jitter',
        '0',
      ],
      // PORT=abc would stop start-up if the flag did not win.
      { cwd, env: { PORT: 'abc', TRANSLATION_DELAY: '5000' } },
    );
    await run.waitFor(/vtrans server listening on http:\/\/127\.0\.0\.1:\d+/);
    const url = /vtrans server listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(run.stdout())?.[1];
    expect(url).toBeDefined();
    const res = await fetch(`${url}/v1/jobs`, { method: 'POST' });
    const job = (await res.json()) as { id: string; created_at: string; eta: string };
    expect(Date.parse(job.eta) - Date.parse(job.created_at)).toBe(150);

    // Not from the flags: ERROR_PROBABILITY=1 from .env makes every job fail.
    const done = await runCli(['wait', job.id, '--url', url!, '--json']);
    expect(done.code).toBe(1);

    run.child.kill('SIGTERM');
    const result = await run.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/stopped cleanly in \d+ ms/);
    expect(result.stderr).toBe('');
  });
});

describe('demo', () => {
  it('runs the integration demo, prints the log and exits 0', async () => {
    const result = await runCli(['demo'], { timeoutMs: 60_000 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const log = lines(result.stdout);
    expect(log.slice(0, 2)).toEqual(['Starting integration demo...', 'Server is starting...']);
    expect(log).toContain('Polling status... Attempt 1');
    expect(log).toContain('Status: pending');
    expect(log).toContain('Status: completed');
    expect(log).toContain('Client Success: Translation completed!');
    expect(result.stdout).toMatch(
      /\[es job_\w+\] Client Success: Translation completed in .* \(as expected\)/,
    );
    expect(result.stdout).toMatch(
      /\[fr job_\w+\] Client Error: Translation failed: .* \(as expected\)/,
    );
    expect(result.stdout).toMatch(/\[ja job_\w+\] Translation canceled \(as expected\)/);
    expect(result.stdout).toMatch(/^5\/5 outcomes as expected, \d+ requests in all\.$/m);
    expect(log.slice(-2)).toEqual(['Shutting down server...', 'Server shut down gracefully.']);

    // Its help and the docs count the jobs it really creates, as its last line does.
    const created =
      log.filter((line) => line.includes('GET /status?job_id=job_')).length +
      log.filter((line) => / created \(expecting \w+\)$/.test(line)).length;
    expect(result.stdout).toContain(`${created}/${created} outcomes as expected`);
    const help = await runCli(['demo', '--help']);
    expect(help.stdout).toContain(`creates ${created} jobs:`);
    const inWords = NUMBER_WORDS[created] ?? String(created);
    expect(readFileSync(join(ROOT, 'docs/cli.md'), 'utf8')).toContain(`creates ${inWords} jobs`);
  });
});
