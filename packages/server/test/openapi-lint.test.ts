/**
 * An independent linter reads the API description as other people's tools will: Redocly CLI with
 * its recommended ruleset (`redocly.yaml` at the repository root, no rule turned off) finds no
 * error and no warning, in every access mode.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../src/config.js';
import { buildTestApp } from './helpers/server.js';

const run = promisify(execFile);
const REDOCLY = createRequire(import.meta.url).resolve('@redocly/cli/bin/cli.js');
const CONFIG = fileURLToPath(new URL('../../../redocly.yaml', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vtrans-openapi-lint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: { ruleId: string; message: string; location?: { pointer?: string }[] }[];
}

const MODES: [string, Partial<ServerConfig>][] = [
  ['open mode', {}],
  ['API keys', { apiKeys: [{ key: 'lint-test-key-1', tenant: 'acme', tier: 'free' }] }],
  [
    'metrics token, open-mode rate limits and faults',
    {
      metricsToken: 'lint-metrics-token',
      rateLimits: [{ name: 'free', limit: 10, windowS: 60 }],
      faults: '503=0.1,500=0.05,retry-after=1',
    },
  ],
];

describe('redocly lint (recommended ruleset)', () => {
  it.each(MODES)('finds nothing to report: %s', async (mode, config) => {
    const { app } = await buildTestApp(config);
    const file = join(dir, `${mode.replace(/\W+/g, '-')}.json`);
    writeFileSync(file, (await app.inject({ method: 'GET', url: '/openapi.json' })).body);
    const { stdout } = await run(
      process.execPath,
      [REDOCLY, 'lint', '--config', CONFIG, '--format', 'json', file],
      {
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        timeout: 60_000,
      },
    ).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
    const report = JSON.parse(stdout) as LintReport;
    const found = report.problems.map(
      (p) => `${p.ruleId}: ${p.message} (${p.location?.[0]?.pointer ?? ''})`,
    );
    expect(found).toEqual([]);
    expect(report.totals).toEqual({ errors: 0, warnings: 0, ignored: 0 });
  });
});
