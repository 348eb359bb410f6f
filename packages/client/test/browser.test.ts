/**
 * The client in a real browser: headless Chromium loads a page from one origin and waits on a job
 * served from another, so CORS (including the exposed headers the client reads) is exercised too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type BrowserContext } from 'playwright-core';
import { chromiumOptions, freePort, needs } from '@vtrans/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '@vtrans/server';
import type {
  BrowserScenarioResult,
  UnreachableScenarioResult,
} from './fixtures/browser-scenario.js';

const hasChromium = needs('chromium', 'the client in headless Chromium');

const PAGE =
  '<!doctype html><title>client</title><script type="module" src="/scenario.js"></script>';
const scenarioEntry = fileURLToPath(new URL('./fixtures/browser-scenario.ts', import.meta.url));

describe.skipIf(!hasChromium)('the client in headless Chromium', () => {
  let pageServer: Server;
  let pageOrigin: string;
  let api: RunningServer;
  let browser: BrowserContext;
  let profileDir: string;
  const apiRequests: string[] = [];

  beforeAll(async () => {
    const bundle = await build({
      entryPoints: [scenarioEntry],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
    });
    const scenarioJs = bundle.outputFiles[0]!.text;
    pageServer = createServer((req, res) => {
      if (req.url === '/scenario.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(scenarioJs);
      } else {
        res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      }
    });
    await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
    pageOrigin = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`;
    api = await startServer({
      port: 0,
      host: '127.0.0.1',
      store: 'memory',
      logLevel: 'silent',
      corsOrigins: [pageOrigin],
    });
    api.app.server.on('request', (req: { method?: string; url?: string }) => {
      apiRequests.push(`${req.method} ${req.url}`);
    });
    profileDir = mkdtempSync(join(tmpdir(), 'vtrans-chromium-'));
    browser = await chromium.launchPersistentContext(profileDir, chromiumOptions());
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await new Promise((resolve) => pageServer?.close(resolve));
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  it('waits for a job on another origin with a held long poll and reads the exposed headers', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    await page.goto(pageOrigin);
    await page
      .waitForFunction('typeof window.runClientScenario === "function"', undefined, {
        timeout: 5000,
      })
      .catch(() => undefined);
    expect(errors).toEqual([]);
    const result = await page.evaluate<BrowserScenarioResult>(
      `window.runClientScenario(${JSON.stringify(api.url)})`,
    );
    await page.close();

    expect(errors).toEqual([]);
    expect(result.status).toBe('completed');
    expect(result.failure).toBe('JobFailedError');
    // Held requests, not polling: one create and at most a couple of GETs for the first job.
    const firstJobGets = apiRequests.filter((r) => r.startsWith(`GET /v1/jobs/${result.id}`));
    expect(firstJobGets.length).toBeGreaterThanOrEqual(1);
    expect(firstJobGets.length).toBeLessThanOrEqual(3);
    expect(
      result.transports.some((t) => t.includes('long-poll') || t === 'sse' || t === 'events'),
    ).toBe(true);
  }, 60_000);

  it('names the server it cannot reach, and says the browser gave no reason', async () => {
    const page = await browser.newPage();
    await page.goto(pageOrigin);
    await page.waitForFunction('typeof window.runUnreachableScenario === "function"');
    const downUrl = `http://127.0.0.1:${await freePort()}`;
    const result = await page.evaluate<UnreachableScenarioResult>(
      `window.runUnreachableScenario(${JSON.stringify(downUrl)})`,
    );
    await page.close();

    expect(result).toMatchObject({
      name: 'NetworkError',
      reason: null,
      url: `${downUrl}/v1/jobs/job_down`,
    });
    // Chromium says only "Failed to fetch": a refused connection and a CORS refusal look alike.
    expect(result.message).toBe(
      `Cannot reach ${downUrl} for GET /v1/jobs/job_down (no reason given, only "Failed to fetch": ` +
        'the server may be down or unreachable, or not allow this origin (CORS))',
    );
  }, 60_000);
});
