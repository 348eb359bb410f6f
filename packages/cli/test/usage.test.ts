/** Help, usage errors and bad configuration: one clear line, the documented exit code, no stack. */
import { describe, expect, it } from 'vitest';
import { lines, runCli } from './helpers/cli.js';

/** A usage failure: exit 2, exactly one line on stderr, nothing on stdout, no stack trace. */
function expectUsageError(
  result: { code: number | null; stdout: string; stderr: string },
  text: RegExp,
) {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(lines(result.stderr)).toHaveLength(1);
  expect(result.stderr).toMatch(/^vtrans: /);
  expect(result.stderr).toMatch(text);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe.concurrent('help', () => {
  it('documents every command and every exit code, on stdout with exit 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    for (const command of ['serve', 'create', 'get', 'wait', 'watch', 'list', 'cancel', 'demo']) {
      expect(result.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    }
    for (const code of ['0', '1', '2', '3', '4', '130']) {
      expect(result.stdout).toMatch(new RegExp(`^\\s+${code}\\s+\\S`, 'm'));
    }
    expect(result.stdout).toContain('Examples:');
  });

  it.each(['serve', 'create', 'get', 'wait', 'watch', 'list', 'cancel', 'demo'])(
    'gives %s its own help with examples and the global options',
    async (command) => {
      const result = await runCli([command, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Usage: vtrans ${command}`);
      expect(result.stdout).toContain('Examples:');
      expect(result.stdout).toContain('--url <url>');
    },
  );

  it('lists every server setting as a serve flag named after its variable', async () => {
    const result = await runCli(['serve', '--help']);
    for (const flag of [
      '--port',
      '--host',
      '--translation-delay',
      '--error-probability',
      '--store',
      '--seed',
      '--log-level',
    ]) {
      expect(result.stdout).toContain(`${flag} <value>`);
    }
    expect(result.stdout).toMatch(/\[env\s+TRANSLATION_DELAY\]/);
  });

  it("describes each serve flag with the server's table: meaning, default and variable", async () => {
    const { CONFIG_VARIABLES } = await import('@vtrans/server');
    const result = await runCli(['serve', '--help']);
    // Commander wraps the descriptions: compare with the whitespace folded.
    const help = result.stdout.replace(/\s+/g, ' ');
    for (const { variable, meaning, default: fallback } of CONFIG_VARIABLES) {
      const plain = (text: string) => text.replace(/`/g, '').replace(/\s+/g, ' ');
      expect(help).toContain(plain(meaning));
      if (fallback !== 'unset') expect(help).toContain(plain(fallback));
      expect(help).toContain(`[env ${variable}]`);
    }
  });

  it('answers `help <command>` like `<command> --help`', async () => {
    const result = await runCli(['help', 'wait']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: vtrans wait');
  });

  it('prints the help on stderr and exits 2 without a command', async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Usage: vtrans');
  });

  it('prints the version', async () => {
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe.concurrent('usage errors exit 2 with one line', () => {
  it('rejects an unknown flag, naming it and the help to read', async () => {
    const result = await runCli(['create', '--frobnicate']);
    expectUsageError(result, /unknown option '--frobnicate'.*vtrans create --help/);
  });

  it('rejects an unknown command', async () => {
    expectUsageError(await runCli(['frob']), /unknown command 'frob'/);
  });

  it('rejects a missing job id', async () => {
    expectUsageError(await runCli(['wait']), /missing required argument 'id'/);
  });

  it('rejects an extra argument', async () => {
    expectUsageError(await runCli(['get', 'job_a', 'job_b']), /too many arguments/);
  });

  it.each([
    [['wait', 'job_a', '--timeout', 'soon'], /--timeout.*'soon' is invalid.*duration/],
    [['create', '--duration', '-5'], /--duration/],
    [['create', '--duration', '25h'], /at most 24h/],
    [['create', '--outcome', 'maybe'], /'maybe' is invalid.*completed, error/],
    [['list', '--limit', '0'], /integer from 1 to 100/],
    [['list', '--status', 'done'], /Allowed choices are pending, completed, error, canceled/],
    [['wait', 'job_a', '--strategy', 'telepathy'], /'telepathy' is invalid/],
    [['get', 'job a/../b'], /expected a job id/],
  ])('rejects the bad value in %j', async (args, text) => {
    expectUsageError(await runCli(args), text);
  });

  it('rejects a --url that is not an http(s) URL before any request', async () => {
    expectUsageError(
      await runCli(['get', 'job_a', '--url', 'ftp://example.com']),
      /invalid --url "ftp:\/\/example.com"/,
    );
  });

  it('rejects a bad VTRANS_URL naming the variable', async () => {
    expectUsageError(
      await runCli(['get', 'job_a'], { env: { VTRANS_URL: 'not a url' } }),
      /invalid VTRANS_URL/,
    );
  });
});

describe.concurrent('serve configuration errors exit 2 with one line', () => {
  it('names the flag, the value and what is allowed', async () => {
    expectUsageError(
      await runCli(['serve', '--port', 'abc']),
      /^vtrans: Invalid --port "abc": expected an integer from 0 to 65535$/m,
    );
  });

  it('names the variable when the bad value came from the environment', async () => {
    const result = await runCli(['serve', '--port', '0'], { env: { ERROR_PROBABILITY: '2' } });
    expectUsageError(result, /Invalid ERROR_PROBABILITY="2": expected a number from 0 to 1/);
  });

  it('rejects an unknown store', async () => {
    expectUsageError(
      await runCli(['serve', '--store', 'postgres://x']),
      /Invalid --store "postgres:\/\/x"/,
    );
  });
});
