/**
 * The hook that holds the API description to account: every response an app built by these
 * helpers sends — through `app.inject()` or real HTTP — is checked against that app's own
 * `/openapi.json` (`openapi-responses.ts`), and a response the document does not describe fails
 * the test that received it (from `afterEach`; one that ends after its test fails the file).
 */
import { appendFileSync } from 'node:fs';
import type { Server, ServerResponse } from 'node:http';
import type { FastifyInstance, InjectOptions } from 'fastify';
// Brings the `app.swagger()` declaration.
import type {} from '@fastify/swagger';
import { afterAll, afterEach } from 'vitest';
import { SECURITY_HEADERS } from '../../src/plugins/http-headers.js';
import {
  createResponseValidator,
  type ObservedResponse,
  type ObservedWebhook,
  type ResponseValidator,
} from './openapi-responses.js';

/** Swagger UI's own assets under `/docs/…` are the plugin's, left out of the document on purpose. */
const isSwaggerUiAsset = (_method: string, path: string) => path.startsWith('/docs/');

/** A stream kept beyond this is checked on what arrived first. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

const found: string[] = [];
let checked = 0;
let webhooksChecked = 0;
const validators = new Map<string, ResponseValidator>();

afterEach(() => {
  if (found.length > 0) {
    throw new Error(
      `responses the API description does not describe:\n${found.splice(0).join('\n')}`,
    );
  }
});

afterAll(() => {
  const log = process.env.VTRANS_RESPONSE_CHECK_LOG;
  // For counting over a whole run: `<responses> <webhook deliveries>` per test file.
  if (log) appendFileSync(log, `${checked} ${webhooksChecked}\n`);
  if (found.length > 0) {
    throw new Error(
      `responses the API description does not describe:\n${found.splice(0).join('\n')}`,
    );
  }
});

/** How many responses were checked in this test file so far. */
export function responsesChecked(): number {
  return checked;
}

/** The description of the app built last: what its webhooks must look like. */
let latest: ResponseValidator | undefined;

/**
 * Checks a webhook delivery a test receiver got against the `webhooks` section of the description
 * of the app built last (the one that sent it); a mismatch fails the test like a response would.
 */
export function checkWebhookDelivery(delivery: ObservedWebhook): void {
  if (!latest) throw new Error('no app built by the test helpers has described its webhooks');
  webhooksChecked += 1;
  found.push(...latest.checkWebhook(delivery));
}

function validatorFor(app: FastifyInstance): ResponseValidator {
  const document = app.swagger();
  const key = JSON.stringify(document);
  let validator = validators.get(key);
  if (!validator) {
    validator = createResponseValidator(document, {
      skip: isSwaggerUiAsset,
      genericHeaders: Object.keys(SECURITY_HEADERS),
    });
    validators.set(key, validator);
  }
  latest = validator;
  return validator;
}

function record(validator: ResponseValidator, response: ObservedResponse): void {
  checked += 1;
  found.push(...validator.check(response));
}

/** Checks what `app.inject()` answers (the promise form the tests use). */
function watchInject(app: FastifyInstance, validator: ResponseValidator): void {
  const inject = app.inject.bind(app) as (options: InjectOptions | string) => unknown;
  (app as { inject: unknown }).inject = (options?: InjectOptions | string, callback?: unknown) => {
    if (options === undefined || callback !== undefined) {
      throw new Error('test helpers check app.inject(options) answers; use the promise form');
    }
    return (inject(options) as Promise<Awaited<ReturnType<FastifyInstance['inject']>>>).then(
      (res) => {
        const opts = typeof options === 'string' ? { url: options } : options;
        const url = typeof opts.url === 'string' ? opts.url : (opts.path as string | undefined);
        record(validator, {
          method: opts.method ?? 'GET',
          url: url ?? '/',
          status: res.statusCode,
          headers: res.headers,
          body: res.rawPayload,
          complete: true,
        });
        return res;
      },
    );
  };
}

type WriteHeadArgs = [number, ...unknown[]];

/** Checks what a listening server writes, by wrapping each response before the app sees it. */
function watchServer(server: Server, validator: ResponseValidator): void {
  server.prependListener('request', (req, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let headers: Record<string, string | string[] | number | undefined> | undefined;
    const keep = (chunk: unknown, encoding?: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      const buffer = Buffer.isBuffer(chunk)
        ? chunk
        : typeof chunk === 'string'
          ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
          : Buffer.from(chunk as Uint8Array);
      if (size < MAX_BODY_BYTES) chunks.push(buffer);
      size += buffer.length;
    };
    const writeHead = res.writeHead.bind(res) as (...args: WriteHeadArgs) => ServerResponse;
    res.writeHead = (...args: WriteHeadArgs) => {
      headers = {};
      for (const [name, value] of Object.entries(res.getHeaders())) headers[name] = value;
      const given = args.find((a, i) => i > 0 && typeof a === 'object' && a !== null);
      if (Array.isArray(given)) {
        for (let i = 0; i + 1 < given.length; i += 2) {
          headers[String(given[i]).toLowerCase()] = given[i + 1] as string;
        }
      } else if (given) {
        for (const [name, value] of Object.entries(given)) {
          if (value !== undefined) headers[name.toLowerCase()] = value as string;
        }
      }
      return writeHead(...args);
    };
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    res.write = ((...args: unknown[]) => {
      keep(args[0], args[1]);
      return write(...args);
    }) as typeof res.write;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.end = ((...args: unknown[]) => {
      keep(args[0], args[1]);
      return end(...args);
    }) as typeof res.end;
    res.once('close', () => {
      // Nothing was sent (the socket died first): there is no answer to check.
      if (!headers) return;
      record(validator, {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        status: res.statusCode,
        headers,
        body: Buffer.concat(chunks),
        complete: res.writableFinished && size <= MAX_BODY_BYTES,
      });
    });
  });
}

/**
 * Checks every response of `app` from now on against its own API description: `app.inject()`
 * answers, and, when `server` is given, what it writes to real clients. Call after `app.ready()`.
 */
export function checkResponses(app: FastifyInstance, server?: Server): void {
  const validator = validatorFor(app);
  watchInject(app, validator);
  if (server) watchServer(server, validator);
}
