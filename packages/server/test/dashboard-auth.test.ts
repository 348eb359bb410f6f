/**
 * The dashboard against a server with API keys, in headless Chromium: the page itself loads
 * without a key, asks for one on the first 401, sends it as Bearer (the event stream too), keeps
 * it for the tab, and shows only the key's tenant.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { chromiumOptions, needs } from '@vtrans/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.js';
import { startTestServer } from './helpers/server.js';

const BUILD_SCRIPT = fileURLToPath(new URL('../scripts/build-dashboard.mjs', import.meta.url));
const KEY_A = 'dash_key_acme_0123456789';
const KEY_B = 'dash_key_globex_0123456789';

const hasChromium = needs('chromium', 'dashboard with API keys in headless Chromium');

describe.skipIf(!hasChromium)('dashboard with API keys in headless Chromium', () => {
  let srv: RunningServer;
  let profileDir: string;
  let context: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];
  const authorizations: (string | undefined)[] = [];
  const eventRequests: Record<string, string>[] = [];

  const createJob = async (key: string, language: string): Promise<string> => {
    const res = await fetch(`${srv.url}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ target_language: language, simulate: { duration_ms: 60_000 } }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };

  beforeAll(async () => {
    execFileSync(process.execPath, [BUILD_SCRIPT], { stdio: 'pipe' });
    srv = await startTestServer({
      apiKeys: [
        { key: KEY_A, tenant: 'acme', tier: 'pro' },
        { key: KEY_B, tenant: 'globex', tier: 'pro' },
      ],
    });
    profileDir = mkdtempSync(join(tmpdir(), 'vtrans-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, chromiumOptions());
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(10_000);
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      // Before a key is given, the API answers 401 and Chromium logs each; those are the point.
      if (msg.text().includes('status of 401')) return;
      const where = msg.location().url;
      if (/\/deliveries$/.test(where) && msg.text().includes('404')) return;
      consoleErrors.push(`${msg.text()} (${where})`);
    });
    page.on('pageerror', (err) => consoleErrors.push(`pageerror: ${err.message}`));
    page.on('request', (req) => {
      const path = new URL(req.url()).pathname;
      if (path.startsWith('/v1/')) authorizations.push(req.headers().authorization);
      if (path === '/v1/events') eventRequests.push(req.headers());
    });
  });

  afterAll(async () => {
    await context?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  it('loads without a key and asks for one when the API answers 401', async () => {
    const res = await page.goto(`${srv.url}/`);
    expect(res?.status()).toBe(200);
    await expect.poll(() => page.locator('#key-dialog').isVisible()).toBe(true);
    expect(await page.locator('#key-reason').textContent()).toContain('needs an API key');
    await expect.poll(() => page.locator('#conn').getAttribute('data-state')).toBe('unauthorized');
    // The key field has focus in the modal dialog: type and press Enter.
    expect(await page.evaluate('document.activeElement.id')).toBe('key-input');
    await page.keyboard.type(KEY_A);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#key-dialog').isVisible()).toBe(false);
    await expect.poll(() => page.locator('#conn').getAttribute('data-state')).toBe('live');
    await expect.poll(() => page.locator('#settings').textContent()).toContain('memory');
    expect(await page.evaluate("sessionStorage.getItem('vtrans.apiKey')")).toBe(KEY_A);
  });

  it("shows the key's own jobs live and nobody else's", async () => {
    const theirs = await createJob(KEY_B, 'it');
    const ours = await createJob(KEY_A, 'nl');
    await expect.poll(() => page.locator(`tr[data-id="${ours}"]`).count()).toBe(1);
    expect(await page.locator(`tr[data-id="${theirs}"]`).count()).toBe(0);
    const afterKey = authorizations.slice(authorizations.indexOf(`Bearer ${KEY_A}`));
    expect(afterKey.length).toBeGreaterThan(3);
    expect(new Set(afterKey)).toEqual(new Set([`Bearer ${KEY_A}`]));
  });

  it("switching to another tenant's key shows that tenant's jobs only", async () => {
    const ours = await createJob(KEY_A, 'sv');
    await expect.poll(() => page.locator(`tr[data-id="${ours}"]`).count()).toBe(1);
    const theirs = await createJob(KEY_B, 'fi');
    await page.getByRole('button', { name: 'API key' }).click();
    await page.getByRole('textbox', { name: 'API key' }).fill(KEY_B);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator(`tr[data-id="${theirs}"]`).count()).toBe(1);
    expect(await page.locator(`tr[data-id="${ours}"]`).count()).toBe(0);
    await expect.poll(() => page.locator('#conn').getAttribute('data-state')).toBe('live');
    // A stream restarted for another tenant does not resume from the old tenant's position.
    const lastStream = eventRequests.at(-1);
    expect(lastStream?.authorization).toBe(`Bearer ${KEY_B}`);
    expect(lastStream?.['last-event-id']).toBeUndefined();
  });

  it('keeps the key for the tab across a reload', async () => {
    await page.reload();
    await expect.poll(() => page.locator('#conn').getAttribute('data-state')).toBe('live');
    expect(await page.locator('#key-dialog').isVisible()).toBe(false);
    expect(consoleErrors).toEqual([]);
  });
});
