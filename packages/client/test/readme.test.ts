/**
 * The README's smallest runnable example, run as written against the real server (only the URL
 * and the package specifier are rewritten, and the outcome pinned so the test is not flaky), so the
 * first thing a newcomer copies works.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startServer } from '@vtrans/server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

type Server = Awaited<ReturnType<typeof startServer>>;
let srv: Server;

beforeAll(async () => {
  srv = await startServer({ port: 0, store: 'memory', host: '127.0.0.1', translationDelayMs: 200 });
});

afterAll(async () => {
  await srv.close();
});

function exampleSource(): string {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.split('## Smallest runnable example')[1] ?? '';
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (code === undefined) throw new Error('README has no example');
  return code;
}

describe('README', () => {
  it('runs the smallest example as written', async () => {
    const source = exampleSource()
      .replace("'http://localhost:3000'", JSON.stringify(srv.url))
      .replace(
        "from '@vtrans/client'",
        `from ${JSON.stringify(fileURLToPath(new URL('../src/index.ts', import.meta.url)))}`,
      )
      .replace('{ source_url:', "{ simulate: { outcome: 'completed' }, source_url:");
    const file = fileURLToPath(new URL('./.readme-example.tmp.ts', import.meta.url));
    writeFileSync(file, source);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await import(/* @vite-ignore */ file);
      const lines = log.mock.calls.map((call) => call.join(' '));
      expect(lines.at(-1)).toMatch(/^done: https?:\/\//);
      expect(lines.some((line) => line.startsWith('pending'))).toBe(true);
    } finally {
      log.mockRestore();
      rmSync(file, { force: true });
    }
  });
});
