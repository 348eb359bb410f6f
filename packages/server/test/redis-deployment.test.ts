/**
 * The deployment files (no Docker engine runs here, so they are checked as text): the image starts
 * the same entry point the test suite starts, runs unprivileged with a health check, and the
 * compose file runs two instances on one durable Redis behind a load balancer that neither cuts
 * a 50 s hold nor buffers event streams.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAX_WAIT_S } from '../src/http/conditional.js';
import { MAIN_JS } from '@vtrans/test-support';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** Dockerfile instructions of the last stage, continuation lines joined. */
function finalStage(dockerfile: string): { instruction: string; args: string }[] {
  const lines = dockerfile
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: { instruction: string; args: string }[][] = [];
  for (const line of lines) {
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const instruction = m[1]!.toUpperCase();
    if (instruction === 'FROM') stages.push([]);
    stages.at(-1)?.push({ instruction, args: m[2]! });
  }
  return stages.at(-1) ?? [];
}

/** The exec-form command an image runs: ENTRYPOINT then CMD, as Docker combines them. */
function startCommand(stage: { instruction: string; args: string }[]): string[] {
  const last = (name: string) => stage.filter((i) => i.instruction === name).at(-1);
  const parse = (i: { args: string } | undefined): string[] => {
    if (!i) return [];
    const value: unknown = JSON.parse(i.args);
    if (!Array.isArray(value)) throw new Error(`not exec form: ${i.args}`);
    return value as string[];
  };
  return [...parse(last('ENTRYPOINT')), ...parse(last('CMD'))];
}

describe('deployment files', () => {
  const dockerfile = read('Dockerfile');
  const stage = finalStage(dockerfile);

  it("starts the image with the test suite's entry point", () => {
    expect(startCommand(stage)).toEqual(['node', relative(ROOT, MAIN_JS)]);
  });

  it('builds in stages and runs unprivileged with a health check on /healthz', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    const user = stage.filter((i) => i.instruction === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const health = stage.find((i) => i.instruction === 'HEALTHCHECK')?.args ?? '';
    expect(health).toMatch(/\/healthz/);
  });

  it('runs two instances on one append-only Redis behind the load balancer', () => {
    const compose = read('compose.yaml');
    expect(compose).toMatch(/--appendonly', 'yes'/);
    expect(compose).toMatch(/--appendfsync', 'always'/);
    expect(compose.match(/VT_STORE: redis:\/\/redis:6379/g)?.length).toBe(1);
    // The second instance inherits the first's definition.
    expect(compose).toMatch(/vtrans-a: &vtrans/);
    expect(compose).toMatch(/vtrans-b:\s+<<: \*vtrans/);
    expect(compose).toMatch(/\.\/deploy\/nginx\.conf:\/etc\/nginx\/conf\.d\/default\.conf/);
  });

  it('configures the load balancer for long polls and event streams', () => {
    const nginx = read('deploy/nginx.conf');
    const readTimeoutS = Number(/proxy_read_timeout\s+(\d+)s;/.exec(nginx)?.[1]);
    expect(readTimeoutS).toBeGreaterThan(MAX_WAIT_S + 10);
    expect(nginx).toMatch(/proxy_buffering off;/);
    expect(nginx).toMatch(/server vtrans-a:3000/);
    expect(nginx).toMatch(/server vtrans-b:3000/);
  });
});
