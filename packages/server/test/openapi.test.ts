import { compileErrors, validate } from '@readme/openapi-parser';
import { chromium } from 'playwright-core';
import { chromiumOptions, needs } from '@vtrans/test-support';
import pino from 'pino';
import type { RouteOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { resolveConfig } from '../src/config.js';
import { createContext } from '../src/context.js';
import { listRoutes } from './helpers/routes.js';
import { buildTestApp, startTestServer } from './helpers/server.js';

interface OpenApiDocument {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      { responses: Record<string, unknown>; security?: unknown; requestBody?: unknown }
    >
  >;
  components: {
    schemas: Record<string, unknown>;
    securitySchemes?: Record<string, unknown>;
    parameters: Record<string, unknown>;
  };
  webhooks: Record<string, { post: { parameters: unknown[] } }>;
}

/** `/v1/jobs/:id` → `/v1/jobs/{id}` */
const toOpenApiPath = (url: string) => url.replace(/:([A-Za-z_]+)/g, '{$1}');

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const { app } = await buildTestApp();
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const doc = res.json<OpenApiDocument>();
    expect(doc.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
  });

  it("lists every route the app registered, except HEAD, the CORS preflight and Swagger UI's assets", async () => {
    const config = resolveConfig({ store: 'memory', logLevel: 'silent' });
    const ctx = await createContext(config, pino({ level: 'silent' }));
    const app = buildApp(ctx, undefined);
    // Routes load in child contexts when the app becomes ready; this sees each with its schema.
    const hidden = new Set<string>();
    const seen = new Set<string>();
    app.addHook('onRoute', (route: RouteOptions) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods) {
        seen.add(`${method} ${route.url}`);
        if ((route.schema as { hide?: boolean } | undefined)?.hide)
          hidden.add(`${method} ${route.url}`);
      }
    });
    await app.ready();
    // printRoutes shows a prefixed route's trailing-slash twin and folds a wildcard's static prefix.
    const isHidden = (method: string, url: string) =>
      [url, url.replace(/(.)\/$/, '$1')].some((u) => hidden.has(`${method} ${u}`)) ||
      (url.endsWith('*') &&
        [...hidden].some((h) => h.startsWith(`${method} ${url.slice(0, -1)}`) && h.endsWith('*')));
    try {
      const doc = (
        await app.inject({ method: 'GET', url: '/openapi.json' })
      ).json<OpenApiDocument>();
      const registered = listRoutes(app).filter(
        (r) => r.method !== 'HEAD' && !(r.method === 'OPTIONS' && r.url === '*'),
      );
      expect(registered.length).toBeGreaterThan(10);
      const missing: string[] = [];
      for (const route of registered) {
        const name = `${route.method} ${route.url}`;
        if (isHidden(route.method, route.url)) continue;
        const operation = doc.paths[toOpenApiPath(route.url)]?.[route.method.toLowerCase()];
        if (!operation) missing.push(name);
      }
      expect(missing).toEqual([]);
      // The API routes, the operations routes and this document itself are all described.
      for (const path of [
        '/v1/jobs',
        '/v1/jobs/{id}',
        '/v1/jobs/{id}/cancel',
        '/v1/events',
        '/status',
        '/healthz',
        '/metrics',
        '/openapi.json',
      ]) {
        expect(doc.paths[path], path).toBeDefined();
      }
      // Nothing the document lists is unknown to the app.
      const known = new Set(
        registered.map((r) => `${r.method.toLowerCase()} ${toOpenApiPath(r.url)}`),
      );
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const method of Object.keys(item))
          expect(known.has(`${method} ${path}`), `${method} ${path}`).toBe(true);
      }
      expect(seen.size).toBeGreaterThan(0);
      // Only Swagger UI's own assets and the CORS preflight stay out of the description (the
      // response check in the test helpers skips exactly these).
      // (Swagger UI's page is registered hidden; the description adds it as getDocsPage.)
      const undescribed = [...hidden].filter((h) => {
        const [method = '', url = ''] = h.split(' ');
        const described =
          doc.paths[toOpenApiPath(url)]?.[method === 'HEAD' ? 'get' : method.toLowerCase()];
        return !described && !/^(GET|HEAD) \/docs\//.test(h) && method !== 'OPTIONS';
      });
      expect(undescribed).toEqual([]);
    } finally {
      await app.close();
      await ctx.store.close();
    }
  });

  it('turns the shared schemas into components that the $refs point at', async () => {
    const { app } = await buildTestApp();
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<OpenApiDocument>();
    expect(Object.keys(doc.components.schemas).sort()).toEqual(
      expect.arrayContaining(['Job', 'Problem']),
    );
    const text = JSON.stringify(doc);
    const refs = [...text.matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(refs.length).toBeGreaterThan(5);
    for (const ref of refs) {
      const [, kind = '', name = ''] =
        /^#\/components\/(schemas|parameters)\/(.+)$/.exec(ref) ?? [];
      expect(kind, ref).not.toBe('');
      expect(
        (doc.components as Record<string, Record<string, unknown>>)[kind]?.[name],
        ref,
      ).toBeDefined();
    }
    const get = doc.paths['/v1/jobs/{id}']?.get;
    expect(get?.responses['200']).toMatchObject({
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Job' } } },
    });
    expect(get?.responses['404']).toMatchObject({
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    });
    expect(doc.paths['/v1/events']?.get?.responses['200']).toMatchObject({
      content: { 'text/event-stream': {} },
    });
    expect(doc.paths['/v1/jobs']?.post).toMatchObject({ requestBody: { required: false } });
    expect(doc.paths['/metrics']?.get?.responses['200']).toMatchObject({
      content: { 'text/plain': {} },
    });
  });

  it('marks the API routes as needing a bearer key when keys are configured', async () => {
    const { app } = await buildTestApp({
      apiKeys: [{ key: 'docs-test-key-1', tenant: 'acme', tier: 'free' }],
    });
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<OpenApiDocument>();
    expect(doc.components.securitySchemes).toHaveProperty('bearerAuth');
    const create = doc.paths['/v1/jobs']?.post;
    expect(create?.security).toEqual([{ bearerAuth: [] }]);
    expect(create?.responses).toHaveProperty('401');
    expect(create?.responses).toHaveProperty('429');
    expect(doc.paths['/healthz']?.get?.security).toEqual([]);
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid).toBe(true);
  });
});

describe('the docs page', () => {
  it('serves Swagger UI from this server, with no inline script and our CSP', async () => {
    const { app } = await buildTestApp();
    const page = await app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = page.body;
    expect(html).not.toMatch(/https?:\/\//);
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/src="\/docs\/static\//);
      expect((body ?? '').trim()).toBe('');
    }
    const assets = [...html.matchAll(/(?:src|href)="(\/docs\/static\/[^"]+)"/g)].map(
      (m) => m[1] ?? '',
    );
    expect(assets).toEqual(expect.arrayContaining(['/docs/static/swagger-ui-bundle.js']));
    for (const asset of assets) {
      const res = await app.inject({ method: 'GET', url: asset });
      expect(res.statusCode, asset).toBe(200);
    }
    const init = await app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(init.body).toContain("resolveUrl('./json')");
    const spec = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(spec.json<OpenApiDocument>().openapi).toBe('3.1.0');
  });
});

describe.skipIf(!needs('chromium', 'the docs page in headless Chromium'))(
  'the docs page in headless Chromium',
  () => {
    it('renders every operation under the server CSP, loading nothing from elsewhere', async () => {
      const srv = await startTestServer();
      const browser = await chromium.launch(chromiumOptions());
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        const foreign: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        page.on('console', (m) => {
          // Swagger UI sets one inline style attribute, which `style-src 'self'` blocks harmlessly.
          if (m.type() === 'error' && !/inline style/.test(m.text())) errors.push(m.text());
        });
        page.on('request', (r) => {
          if (!r.url().startsWith(srv.url) && !r.url().startsWith('data:')) foreign.push(r.url());
        });
        await page.goto(`${srv.url}/docs`);
        await page.waitForSelector('.opblock', { timeout: 15_000 });
        const doc = (await (await fetch(`${srv.url}/openapi.json`)).json()) as OpenApiDocument;
        // Swagger UI shows the webhooks as operations too.
        const operations =
          Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0) +
          Object.keys(doc.webhooks).length;
        expect(await page.locator('.opblock').count()).toBe(operations);
        expect(errors).toEqual([]);
        expect(foreign).toEqual([]);
      } finally {
        await browser.close();
      }
    }, 30_000);
  },
);
