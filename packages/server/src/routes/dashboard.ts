/**
 * The dashboard at `GET /`: the page and its assets, built by `scripts/build-dashboard.mjs` into
 * `public/`. Files are read once and kept in memory (they are small); every answer carries a strong
 * ETag. The page is revalidated on each visit (`no-cache`); an asset asked for with the content hash
 * the page names (`?v=<hash>`) is immutable, so a returning browser loads nothing but the page.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ProblemError } from '../errors.js';
import { etagMatches, parseIfNoneMatch } from '../http/conditional.js';
import { RequestHeaders } from '../openapi/headers.js';
import { emptyResponse, problemResponses, textResponse } from '../schemas/responses.js';

/** Where the build writes the dashboard: `packages/server/public` (same from `src/` and `dist/`). */
export const DEFAULT_PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};
const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';
const NOT_MODIFIED = emptyResponse('Not modified: the `If-None-Match` names this content', {
  ETag: true,
});

const PAGE_SCHEMA = {
  operationId: 'getDashboard',
  summary: 'The web dashboard',
  tags: ['dashboard'],
  headers: Type.Object({ 'if-none-match': RequestHeaders.ifNoneMatch }),
  response: {
    200: textResponse('The page (revalidated on every visit)', ['text/html'], { ETag: true }),
    304: NOT_MODIFIED,
    ...problemResponses({ 404: '`not_found`: the dashboard is not built (`npm run build`)' }),
  },
};

const ASSET_SCHEMA = {
  operationId: 'getDashboardAsset',
  summary: 'A script, style sheet or image of the dashboard',
  tags: ['dashboard'],
  params: Type.Object({ name: Type.String() }),
  querystring: Type.Object({
    v: Type.Optional(
      Type.String({
        description:
          'The content hash the page names: with the right one the answer is cached for good',
      }),
    ),
  }),
  headers: Type.Object({ 'if-none-match': RequestHeaders.ifNoneMatch }),
  response: {
    200: textResponse('The asset', [...new Set(Object.values(CONTENT_TYPES))].map(mediaType), {
      ETag: true,
    }),
    304: NOT_MODIFIED,
    ...problemResponses({
      400: '`invalid_request`: a malformed name',
      404: '`not_found`: no asset of that name',
    }),
  },
};

function mediaType(contentType: string): string {
  return contentType.split(';', 1)[0] ?? contentType;
}

interface StaticFile {
  body: Buffer;
  type: string;
  /** Content hash, also the `?v=` the page puts on asset URLs. */
  hash: string;
  etag: string;
}

export interface DashboardOptions {
  /** Directory holding `index.html` and `assets/`. @default DEFAULT_PUBLIC_DIR */
  publicDir?: string;
}

/** A file or directory that is not there: the dashboard (or that part of it) is not built. */
function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/**
 * Reads the built dashboard; `undefined` when it is not built (no `index.html`). Any other read
 * error (a directory where a file should be, no permission, an I/O error) is thrown: it is a fault
 * of the installation, not a missing build, and is answered and logged as one.
 */
async function loadFiles(publicDir: string): Promise<Map<string, StaticFile> | undefined> {
  const files = new Map<string, StaticFile>();
  const add = async (urlPath: string, diskPath: string) => {
    const type = CONTENT_TYPES[extname(diskPath)];
    if (!type) return;
    const body = await readFile(diskPath);
    const hash = createHash('sha256').update(body).digest('base64url').slice(0, 16);
    files.set(urlPath, { body, type, hash, etag: `"${hash}"` });
  };
  try {
    await add('/', join(publicDir, 'index.html'));
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
  let assets: string[] = [];
  try {
    assets = await readdir(join(publicDir, 'assets'));
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
  for (const name of assets) {
    if (!ASSET_NAME.test(name)) continue;
    // An asset removed between the listing and the read (a rebuild) is simply not served.
    await add(`/assets/${name}`, join(publicDir, 'assets', name)).catch((err: unknown) => {
      if (!isMissing(err)) throw err;
    });
  }
  return files;
}

function sendFile(
  request: FastifyRequest,
  reply: FastifyReply,
  file: StaticFile,
  cacheControl: string,
): FastifyReply {
  void reply.header('etag', file.etag).header('cache-control', cacheControl);
  if (etagMatches(parseIfNoneMatch(request.headers['if-none-match']), file.etag)) {
    return reply.code(304).send();
  }
  return reply.type(file.type).send(file.body);
}

/**
 * Serves the built dashboard. Outside `/v1`, so neither rate limited nor behind the API key (the
 * auth and rate-limit plugins match paths): the page loads, then asks for a key when the API does.
 */
export function registerDashboardRoutes(
  app: FastifyInstance,
  options: DashboardOptions = {},
): void {
  const publicDir = options.publicDir ?? DEFAULT_PUBLIC_DIR;
  let loading: Promise<Map<string, StaticFile> | undefined> | undefined;
  /** The files, read once; read again on the next request while unbuilt or after an error. */
  const files = async (): Promise<Map<string, StaticFile> | undefined> => {
    loading ??= loadFiles(publicDir).then(
      (loaded) => {
        if (!loaded) loading = undefined;
        return loaded;
      },
      (err: unknown) => {
        loading = undefined;
        throw err;
      },
    );
    return loading;
  };
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get('/', { schema: PAGE_SCHEMA }, async (request, reply) => {
    const page = (await files())?.get('/');
    if (!page) {
      throw new ProblemError(
        'not_found',
        'The dashboard is not built: run `npm run build` (it bundles packages/server/dashboard)',
      );
    }
    return sendFile(request, reply, page, REVALIDATE);
  });

  api.get('/assets/:name', { schema: ASSET_SCHEMA }, async (request, reply) => {
    const { name } = request.params;
    const file = (await files())?.get(`/assets/${name}`);
    if (!file) throw new ProblemError('not_found', `No dashboard asset named ${name}`);
    const { v } = request.query;
    return sendFile(request, reply, file, v === file.hash ? IMMUTABLE : REVALIDATE);
  });
}
