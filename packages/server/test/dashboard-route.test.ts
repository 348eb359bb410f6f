import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerErrorHandler } from '../src/plugins/error-handler.js';
import { registerDashboardRoutes } from '../src/routes/dashboard.js';
import { ProblemSchema } from '../src/schemas/problem.js';
import { startTestServer } from './helpers/server.js';

const BUILD_SCRIPT = fileURLToPath(new URL('../scripts/build-dashboard.mjs', import.meta.url));

let publicDir: string;
let app: FastifyInstance;

beforeAll(async () => {
  publicDir = mkdtempSync(join(tmpdir(), 'vtrans-dashboard-'));
  execFileSync(process.execPath, [BUILD_SCRIPT, '--out', publicDir], { stdio: 'pipe' });
  app = Fastify();
  // The routes describe their 404 as a `Problem` (the app adds the shared schema).
  app.addSchema(ProblemSchema);
  registerErrorHandler(app);
  registerDashboardRoutes(app, { publicDir });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  rmSync(publicDir, { recursive: true, force: true });
});

/** The `?v=` hashes the page puts on its assets. */
function assetUrls(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="(assets\/[^"]+)"/g)].map((m) => `/${m[1]}`);
}

describe('dashboard route', () => {
  it('serves the page as HTML with an ETag, revalidated on each visit', async () => {
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers.etag).toMatch(/^"[\w-]{16}"$/);
    expect(res.body).toContain('<title>vtrans dashboard</title>');
    const again = await app.inject({
      method: 'GET',
      url: '/',
      headers: { 'if-none-match': String(res.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('names each asset by content hash and serves it immutable, with its content type', async () => {
    const html = (await app.inject({ method: 'GET', url: '/' })).body;
    const urls = assetUrls(html);
    expect(urls).toEqual([
      expect.stringMatching(/^\/assets\/app\.css\?v=[\w-]{16}$/),
      expect.stringMatching(/^\/assets\/app\.js\?v=[\w-]{16}$/),
    ]);
    for (const url of urls) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toBe(
        url.includes('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
      );
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(res.headers.etag).toBe(`"${url.split('?v=')[1]}"`);
    }
    // Without the current hash (an old page, a hand-typed URL) the browser must revalidate.
    const stale = await app.inject({ method: 'GET', url: '/assets/app.js?v=old' });
    expect(stale.headers['cache-control']).toBe('no-cache');
  });

  it('has no inline script or style, so the CSP holds', () => {
    const html = readFileSync(join(publicDir, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(html).not.toMatch(/<style/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    const js = readFileSync(join(publicDir, 'assets', 'app.js'), 'utf8');
    expect(js).not.toMatch(/setAttribute\(\s*["']style["']/);
    expect(js).not.toMatch(/innerHTML/);
  });

  it('answers unknown assets and path tricks with a problem, not a file', async () => {
    for (const url of [
      '/assets/nope.js',
      '/assets/..%2Findex.html',
      '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
      '/assets/.hidden',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('says how to build the dashboard when it is missing', async () => {
    const empty = Fastify();
    empty.addSchema(ProblemSchema);
    registerErrorHandler(empty);
    registerDashboardRoutes(empty, { publicDir: join(publicDir, 'missing') });
    const res = await empty.inject({ method: 'GET', url: '/' });
    await empty.close();
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'not_found' });
    expect(res.json<{ detail: string }>().detail).toContain('npm run build');
  });

  it('answers a read error other than a missing build as the server error it is', async () => {
    // index.html is a directory (EISDIR), then the assets folder is a file (ENOTDIR): an
    // installation fault to report and log, not "run npm run build".
    const broken = mkdtempSync(join(tmpdir(), 'vtrans-dashboard-broken-'));
    mkdirSync(join(broken, 'index.html'));
    const notAFolder = mkdtempSync(join(tmpdir(), 'vtrans-dashboard-broken-'));
    writeFileSync(join(notAFolder, 'index.html'), '<!doctype html><title>x</title>');
    writeFileSync(join(notAFolder, 'assets'), 'not a folder');
    try {
      for (const dir of [broken, notAFolder]) {
        const srv = Fastify();
        srv.addSchema(ProblemSchema);
        registerErrorHandler(srv);
        registerDashboardRoutes(srv, { publicDir: dir });
        for (const url of ['/', '/assets/app.js']) {
          const res = await srv.inject({ method: 'GET', url });
          expect(res.statusCode, `${dir} ${url}`).toBe(500);
          expect(res.json()).toMatchObject({ code: 'internal_error' });
        }
        await srv.close();
      }
    } finally {
      rmSync(broken, { recursive: true, force: true });
      rmSync(notAFolder, { recursive: true, force: true });
    }
  });

  it('serves the dashboard once it is built, without a restart', async () => {
    const later = mkdtempSync(join(tmpdir(), 'vtrans-dashboard-later-'));
    const srv = Fastify();
    srv.addSchema(ProblemSchema);
    registerErrorHandler(srv);
    registerDashboardRoutes(srv, { publicDir: later });
    try {
      expect((await srv.inject({ method: 'GET', url: '/' })).statusCode).toBe(404);
      writeFileSync(join(later, 'index.html'), '<!doctype html><title>built</title>');
      const res = await srv.inject({ method: 'GET', url: '/' });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('<title>built</title>');
    } finally {
      await srv.close();
      rmSync(later, { recursive: true, force: true });
    }
  });

  it('is served by the real app with the security headers and without an API key', async () => {
    const srv = await startTestServer({
      apiKeys: [{ key: 'route_test_key_0123', tenant: 'acme', tier: 'free' }],
    });
    const res = await srv.app.inject({ method: 'GET', url: '/' });
    // The built page may be absent in a fresh checkout before `npm run build`: either way not 401.
    expect([200, 404]).toContain(res.statusCode);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers.ratelimit).toBeUndefined();
    // The API behind it does need the key.
    const api = await srv.app.inject({ method: 'GET', url: '/v1/settings' });
    expect(api.statusCode).toBe(401);
  });
});
