import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumOptions, needs } from '@vtrans/test-support';
import { buildTestApp, startTestServer } from './helpers/server.js';

/** The SVG behind a `data:image/svg+xml;base64,…` URL. */
const svgOf = (dataUrl: string) =>
  Buffer.from(dataUrl.replace(/^data:image\/svg\+xml;base64,/, ''), 'base64').toString('utf8');

describe('the docs page shows vtrans', () => {
  it('by title, tab icon and top-bar logo, none of them Swagger’s or Fastify’s', async () => {
    const { app } = await buildTestApp();
    const html = (await app.inject({ method: 'GET', url: '/docs' })).body;
    expect(html).toContain('<title>vtrans API</title>');
    expect(html).not.toContain('Swagger UI</title>');
    expect(html).not.toContain('favicon-32x32.png');
    const icon = /<link rel="icon" type="image\/svg\+xml" href="([^"]+)"/.exec(html)?.[1];
    expect(icon).toBe('/docs/static/theme/favicon.svg');
    const iconRes = await app.inject({ method: 'GET', url: icon ?? '' });
    expect(iconRes.statusCode).toBe(200);
    expect(iconRes.headers['content-type']).toBe('image/svg+xml');
    expect(iconRes.body).toContain('<title>vtrans</title>');

    const init = await app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    const logoUrl = /img\.src = '(data:image\/svg\+xml;base64,[^']+)'/.exec(init.body)?.[1] ?? '';
    const logo = svgOf(logoUrl);
    expect(logo).toContain('>vtrans</text>');
    // The plugin's default logo is Fastify's (an Adobe Illustrator export).
    expect(logo).not.toContain('Illustrator');
  });
});

describe.skipIf(!needs('chromium', 'the docs page in headless Chromium'))(
  'the docs page in headless Chromium',
  () => {
    it('draws the vtrans logo in the top bar under the server CSP', async () => {
      const srv = await startTestServer();
      const browser = await chromium.launch(chromiumOptions());
      try {
        const page = await browser.newPage();
        await page.goto(`${srv.url}/docs`);
        const img = page.locator('#swagger-ui .topbar a.link img');
        await img.waitFor({ timeout: 15_000 });
        expect(await page.title()).toBe('vtrans API');
        const logo = await img.evaluate((el: HTMLImageElement) => ({
          src: el.src,
          width: el.naturalWidth,
        }));
        // Loaded and drawn (a blocked or broken image has no natural width).
        expect(logo.width).toBeGreaterThan(0);
        expect(svgOf(logo.src)).toContain('>vtrans</text>');
      } finally {
        await browser.close();
      }
    }, 30_000);
  },
);
