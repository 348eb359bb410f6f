import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, loadConfig, resolveConfig } from '../src/config.js';
import { startServer } from '../src/server.js';
import { freePort, runServerToExit, spawnServer, tempDir } from '@vtrans/test-support';

/** Reads the configuration from `env` only (an empty scratch directory: no `.env`). */
const load = (env: Record<string, string>) => loadConfig(env, tempDir());

function configError(env: Record<string, string>): ConfigError {
  try {
    load(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

const BAD_VALUES: [variable: string, value: string, allowed: RegExp][] = [
  ['PORT', 'abc', /integer from 0 to 65535/],
  ['PORT', '-1', /integer from 0 to 65535/],
  ['PORT', '65536', /integer from 0 to 65535/],
  ['PORT', '80.5', /integer from 0 to 65535/],
  ['HOST', 'not a host!', /host name or IP address/],
  ['TRANSLATION_DELAY', '-1', /integer from 0 to 86400000/],
  ['TRANSLATION_DELAY', 'ten', /integer from 0 to 86400000/],
  ['TRANSLATION_DELAY', '86400001', /integer from 0 to 86400000/],
  ['TRANSLATION_DELAY_JITTER', '1.5', /number from 0 to 1/],
  ['TRANSLATION_DELAY_JITTER', '-0.1', /number from 0 to 1/],
  ['ERROR_PROBABILITY', '2', /number from 0 to 1/],
  ['ERROR_PROBABILITY', 'NaN', /number from 0 to 1/],
  ['ERROR_PROBABILITY', '', /number from 0 to 1/],
  ['VT_SEED', '  ', /non-empty seed/],
  ['VT_STORE', 'ftp://x', /memory, sqlite:<path> or redis:\/\/host:port/],
  ['VT_STORE', 'sqlite:', /memory, sqlite:<path> or redis:\/\/host:port/],
  ['VT_MAX_WAITERS', '-5', /integer from 0 to 1000000/],
  ['VT_MAX_WAITERS', '1e3', /integer from 0 to 1000000/],
  ['VT_BODY_LIMIT', '10', /integer from 1024 to 104857600/],
  ['VT_RETENTION', 'soon', /duration like 500ms, 10s, 5m or 24h/],
  ['VT_RETENTION', '500ms', /from 1000 ms/],
  ['VT_RETENTION', '-1h', /duration like/],
  ['VT_CORS_ORIGINS', 'example.com', /origins like https:\/\/app.example.com/],
  ['VT_CORS_ORIGINS', 'https://ok.example,http://x/path', /origins like/],
  ['VT_TRUST_PROXY', 'maybe', /true or false/],
  ['VT_SHUTDOWN_GRACE', 'forever', /duration like/],
  ['LOG_LEVEL', 'loud', /one of fatal, error, warn, info, debug, trace, silent/],
];

describe('loadConfig', () => {
  it('gives the documented defaults when nothing is set', () => {
    expect({ ...load({}), prettyLogs: false }).toEqual({ ...DEFAULT_CONFIG, prettyLogs: false });
  });

  it('reads every variable when its value is good', () => {
    const config = load({
      PORT: '8080',
      HOST: '::1',
      TRANSLATION_DELAY: '2500',
      TRANSLATION_DELAY_JITTER: '0.5',
      ERROR_PROBABILITY: '0.25',
      VT_SEED: ' 42 ',
      VT_STORE: 'sqlite:/tmp/x.db',
      VT_MAX_WAITERS: '7',
      VT_BODY_LIMIT: '2048',
      VT_RETENTION: '2h',
      VT_CORS_ORIGINS: 'https://a.example, http://localhost:5173',
      VT_TRUST_PROXY: 'yes',
      VT_SHUTDOWN_GRACE: '3s',
      LOG_LEVEL: 'DEBUG',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '::1',
      translationDelayMs: 2500,
      translationDelayJitter: 0.5,
      errorProbability: 0.25,
      seed: '42',
      store: 'sqlite:/tmp/x.db',
      maxWaiters: 7,
      bodyLimitBytes: 2048,
      retentionMs: 7_200_000,
      corsOrigins: ['https://a.example', 'http://localhost:5173'],
      trustProxy: true,
      shutdownGraceMs: 3000,
      logLevel: 'debug',
    });
  });

  it.each(BAD_VALUES)(
    'refuses %s=%j with one line naming the variable, the value and what is allowed',
    (variable, value, allowed) => {
      const err = configError({ [variable]: value });
      expect(err.variable).toBe(variable);
      expect(err.message).toContain(`${variable}=${JSON.stringify(value)}`);
      expect(err.message).toMatch(allowed);
      expect(err.message).not.toContain('\n');
    },
  );

  it('reads a .env file in the working directory, and the real environment wins over it', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, '.env'),
      [
        '# settings kept in a file, as the original project did',
        'ERROR_PROBABILITY=0.5',
        'export TRANSLATION_DELAY=1234',
        'PORT=4000',
        'VT_SEED="quoted seed"',
        "LOG_LEVEL='error' ",
        'VT_STORE=memory # a comment',
        'not a line',
      ].join('\n'),
    );
    const config = loadConfig({ PORT: '5000' }, dir);
    expect(config.errorProbability).toBe(0.5);
    expect(config.translationDelayMs).toBe(1234);
    expect(config.port).toBe(5000);
    expect(config.seed).toBe('quoted seed');
    expect(config.logLevel).toBe('error');
    expect(config.store).toBe('memory');
  });

  it('names the variable when the bad value comes from the .env file', () => {
    const dir = tempDir();
    writeFileSync(join(dir, '.env'), 'ERROR_PROBABILITY=7\n');
    expect(() => loadConfig({}, dir)).toThrow(
      'Invalid ERROR_PROBABILITY="7": expected a number from 0 to 1',
    );
  });
});

describe('startServer options', () => {
  it('refuses an out-of-range option given in code with a ConfigError', async () => {
    await expect(startServer({ port: 0, store: 'memory', errorProbability: 2 })).rejects.toThrow(
      ConfigError,
    );
    expect(() => resolveConfig({ store: 'ftp://x' })).toThrow(/Invalid store="ftp:\/\/x"/);
  });
});

describe('the server process with bad configuration', () => {
  const cases: [string, string][] = [
    ['ERROR_PROBABILITY', '2'],
    ['PORT', 'abc'],
    ['VT_STORE', 'ftp://x'],
    ['VT_RETENTION', 'soon'],
    ['TRANSLATION_DELAY', '-1'],
    ['LOG_LEVEL', 'loud'],
    ['VT_MAX_WAITERS', 'many'],
  ];

  it.concurrent.each(cases)(
    'exits 2 on %s=%s with exactly one stderr line and no stack trace',
    async (variable, value) => {
      const result = await runServerToExit({ [variable]: value });
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      const lines = result.stderr.split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[1]).toBe('');
      expect(lines[0]).toMatch(
        new RegExp(`^vtrans: Invalid ${variable}=${JSON.stringify(value)}: expected .+$`),
      );
      expect(result.stderr).not.toMatch(/\bat .+:\d+:\d+/);
    },
  );

  it.concurrent('exits 2 on a bad value read from .env in its working directory', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, '.env'), 'TRANSLATION_DELAY_JITTER=3\n');
    const result = await runServerToExit({}, { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'vtrans: Invalid TRANSLATION_DELAY_JITTER="3": expected a number from 0 to 1\n',
    );
  });

  it.concurrent('exits 1 with one line when its port is taken', async () => {
    const port = await freePort();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    try {
      const result = await runServerToExit({ PORT: String(port) });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^vtrans: could not start the server: .*EADDRINUSE.*\n$/);
      expect(result.stderr.split('\n')).toHaveLength(2);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it.concurrent('exits 1 with one line when the SQLite file cannot be opened', async () => {
    // A regular file where the database's directory should be.
    const notADir = join(tempDir(), 'file');
    writeFileSync(notADir, 'x');
    const result = await runServerToExit({ VT_STORE: `sqlite:${notADir}/db.sqlite` });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^vtrans: could not start the server: .+\n$/);
    expect(result.stderr.split('\n')).toHaveLength(2);
  });
});

describe('the server process on Ctrl-C', () => {
  it('exits 0 after a graceful shutdown on one SIGINT', async () => {
    const proc = await spawnServer();
    const exit = await proc.kill('SIGINT', 10_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(proc.stderr()).toBe('');
  });
});
