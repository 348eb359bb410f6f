/**
 * The small programs a user would write against the installed packages, written into the blank
 * project by the packaging test: an ES module, a CommonJS module, and TypeScript consumers checked
 * under `moduleResolution` `node16`, `bundler` and (a CommonJS file) `nodenext`, and a browser
 * project's.
 */

/** ESM: `startServer()` from @vtrans/server (SQLite, so the native addon loads) and the client. */
export const ESM_PROGRAM = `
import { startServer } from '@vtrans/server';
import { VtransClient, NotFoundError, isJobFailedError } from '@vtrans/client';

const server = await startServer({ port: 0, host: '127.0.0.1', store: 'sqlite:./data/esm.db', logLevel: 'silent' });
try {
  const client = new VtransClient({ baseUrl: server.url });
  const job = await client.translate(
    { target_language: 'es', simulate: { duration_ms: 200, outcome: 'completed' } },
    { timeoutMs: 10_000 },
  );
  const failing = await client.createJob({ simulate: { duration_ms: 50, outcome: 'error' } });
  const failure = await client.waitForJob(failing.id, { timeoutMs: 10_000 }).catch((e) => e);
  const missing = await client.getJob('job_does_not_exist').catch((e) => e);
  console.log(JSON.stringify({
    store: server.context.store.kind,
    status: job.status,
    failed: isJobFailedError(failure),
    notFound: missing instanceof NotFoundError,
  }));
} finally {
  await server.close();
}
`;

/** CommonJS: `require()` of both packages (Node's require(esm)). */
export const CJS_PROGRAM = `
const { startServer } = require('@vtrans/server');
const { VtransClient, isApiError } = require('@vtrans/client');

(async () => {
  const server = await startServer({ port: 0, host: '127.0.0.1', store: 'memory', logLevel: 'silent' });
  try {
    const client = new VtransClient({ baseUrl: server.url });
    const created = await client.createJob({ simulate: { duration_ms: 100, outcome: 'completed' } });
    const job = await client.waitForJob(created.id, { strategy: 'sse', timeoutMs: 10_000 });
    const bad = await client.createJob({ target_language: 42 }).catch((e) => e);
    console.log(JSON.stringify({ status: job.status, badRequest: isApiError(bad) && bad.status }));
  } finally {
    await server.close();
  }
})().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
`;

/**
 * A typed consumer. The `@ts-expect-error` lines fail the check if the packages' types did not
 * resolve (an untyped import would accept them).
 */
export const TYPED_CONSUMER = `
import {
  VtransClient,
  isJobFailedError,
  verifyWebhook,
  type Job,
  type WaitOptions,
  type WebhookEvent,
} from '@vtrans/client';
import { startServer, type RunningServer } from '@vtrans/server';

export async function consume(): Promise<string> {
  const server: RunningServer = await startServer({ port: 0, store: 'memory' });
  const client = new VtransClient({ baseUrl: server.url, requestTimeoutMs: 5_000 });
  const options: WaitOptions = { strategy: 'sse', timeoutMs: 1_000 };
  try {
    const job: Job = await client.waitForJob('job_x', options);
    return job.status;
  } catch (error) {
    if (isJobFailedError(error)) return error.job.error?.message ?? 'failed';
    throw error;
  } finally {
    await server.close();
  }
}

export async function verified(body: string, headers: Record<string, string>): Promise<WebhookEvent> {
  return verifyWebhook(body, headers, 'whsec_c2VjcmV0');
}

export function misuse(client: VtransClient): void {
  // @ts-expect-error  not a strategy
  void client.waitForJob('job_x', { strategy: 'carrier-pigeon' });
  // @ts-expect-error  a store spec is a string or a Store
  void startServer({ store: 42 });
}
`;

/** A browser project's use of the client: no Node types at all. */
export const BROWSER_CONSUMER = `
import { VtransClient, isWaitTimeoutError, type Job } from '@vtrans/client';

export async function track(id: string, signal: AbortSignal): Promise<Job | undefined> {
  const client = new VtransClient({ baseUrl: location.origin });
  try {
    return await client.waitForJob(id, { strategy: 'sse', timeoutMs: 60_000, signal });
  } catch (error) {
    if (isWaitTimeoutError(error)) return undefined;
    throw error;
  }
}
`;

const STRICT = {
  strict: true,
  noEmit: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  // Declarations are checked by the browser project below (the client's own, ~3 s); checking
  // every library the server's types pull in (fastify, pino, @types/node) would take ~30-60 s.
  skipLibCheck: true,
  target: 'ES2022',
  lib: ['ES2023'],
  types: ['node'],
};

/** tsconfig files, by name, each checking one consumer file. */
export const TSCONFIGS: Record<string, { compilerOptions: object; files: string[] }> = {
  'tsconfig.node16.json': {
    compilerOptions: { ...STRICT, module: 'node16', moduleResolution: 'node16' },
    files: ['typed-consumer.mts'],
  },
  'tsconfig.bundler.json': {
    compilerOptions: { ...STRICT, module: 'preserve', moduleResolution: 'bundler' },
    files: ['typed-consumer.ts'],
  },
  // CommonJS TypeScript: under nodenext (TypeScript >= 5.8) an import of an ES module from a
  // CommonJS file is typed as the require(esm) it compiles to.
  'tsconfig.nodenext-cjs.json': {
    compilerOptions: { ...STRICT, module: 'nodenext', moduleResolution: 'nodenext' },
    files: ['typed-consumer.cts'],
  },
  // A browser project: DOM types instead of Node's, and the client's declarations checked too.
  'tsconfig.browser.json': {
    compilerOptions: {
      ...STRICT,
      module: 'preserve',
      moduleResolution: 'bundler',
      lib: ['ES2023', 'DOM', 'DOM.Iterable'],
      types: [],
      skipLibCheck: false,
      skipDefaultLibCheck: true,
    },
    files: ['browser-consumer.ts'],
  },
};
