/**
 * The dashboard in real headless Chromium (the Debian `chromium` package; `.ci/run` installs it)
 * against a real in-process server: loads clean under the CSP, follows jobs live from the event
 * stream, creates, cancels, filters, resumes after a dropped stream, and leaves screenshots in
 * `artifacts/`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { chromiumOptions, needs } from '@vtrans/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.js';
import { startTestServer } from './helpers/server.js';

const BUILD_SCRIPT = fileURLToPath(new URL('../scripts/build-dashboard.mjs', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../../../artifacts/', import.meta.url));
const UI_TIMEOUT_MS = 10_000;

const hasChromium = needs('chromium', 'dashboard in headless Chromium');

interface Job {
  id: string;
  status: string;
}

describe.skipIf(!hasChromium)('dashboard in headless Chromium', () => {
  let srv: RunningServer;
  let profileDir: string;
  let context: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];
  const eventRequests: Record<string, string>[] = [];
  const apiRequests: string[] = [];
  let receiver: Server;
  let receiverHits = 0;

  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${srv.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(res.ok, `${method} ${path} → ${res.status}`).toBe(true);
    return (await res.json()) as T;
  };
  const row = (id: string) => page.locator(`tr[data-id="${id}"]`);
  const cell = (id: string, label: string) => row(id).locator(`[data-label="${label}"]`);

  beforeAll(async () => {
    // Always from the current source: the page under test is the one in this checkout.
    execFileSync(process.execPath, [BUILD_SCRIPT], { stdio: 'pipe' });
    mkdirSync(ARTIFACTS, { recursive: true });
    receiver = createServer((_req, res) => {
      receiverHits += 1;
      // The first attempt fails, the retry succeeds: the detail shows both.
      res.writeHead(receiverHits === 1 ? 500 : 204).end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    srv = await startTestServer({
      errorProbability: 0,
      translationDelayMs: 30_000,
      webhookAllowHosts: ['127.0.0.1'],
      webhookRetryDelaysMs: [100],
    });
    profileDir = mkdtempSync(join(tmpdir(), 'vtrans-chromium-'));
    context = await chromium.launchPersistentContext(
      profileDir,
      chromiumOptions({ viewport: { width: 1280, height: 800 } }),
    );
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      // Chromium logs every 404 a fetch gets; the deliveries route may not exist yet, which the
      // page handles ("No deliveries").
      const where = msg.location().url;
      if (/\/deliveries$/.test(where) && msg.text().includes('404')) return;
      consoleErrors.push(`${msg.text()} (${where})`);
    });
    page.on('pageerror', (err) => consoleErrors.push(`pageerror: ${err.message}`));
    page.on('request', (req) => {
      const url = new URL(req.url());
      if (url.pathname === '/v1/events') eventRequests.push(req.headers());
      if (url.pathname.startsWith('/v1/')) apiRequests.push(`${req.method()} ${url.pathname}`);
    });
    // Report CSP violations from inside the page (they also reach the console in Chromium).
    await page.addInitScript({
      content:
        "window.__csp = []; document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));",
    });
  });

  afterAll(async () => {
    receiver?.closeAllConnections();
    await new Promise((resolve) => receiver?.close(resolve));
    await context?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  it('loads under the CSP without console errors, goes live and shows settings and the chart', async () => {
    const res = await page.goto(`${srv.url}/`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await expect.poll(() => page.locator('#conn').getAttribute('data-state')).toBe('live');
    await expect.poll(() => page.locator('#settings').textContent()).toContain('memory');
    expect(await page.locator('#settings').textContent()).toContain('30 s');
    expect(await page.locator('#chart svg[role="img"]').getAttribute('aria-label')).toMatch(
      /^Last 15 minutes: \d+ created/,
    );
    // Loaded once; after that the page only listens (its 1 s tick is local: ages, ETAs, progress).
    const requestsAfterLoad = apiRequests.length;
    await page.waitForTimeout(1500);
    expect(apiRequests.slice(requestsAfterLoad)).toEqual([]);
    expect(new Set(apiRequests)).toEqual(
      new Set(['GET /v1/events', 'GET /v1/jobs', 'GET /v1/stats', 'GET /v1/settings']),
    );
    await page.evaluate('window.__loadMarker = 42');
    expect(await page.evaluate('window.__csp')).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it('shows a job created through the API, advances its stage from events and completes it without a reload', async () => {
    // Record every stage the row shows, as the page changes it.
    await page.evaluate(`(() => {
      window.__stages = [];
      new MutationObserver(() => {
        for (const td of document.querySelectorAll('tr[data-id] [data-label="Stage"]')) {
          const id = td.closest('tr').dataset.id;
          const last = window.__stages.filter((s) => s[0] === id).at(-1);
          if (!last || last[1] !== td.textContent) window.__stages.push([id, td.textContent]);
        }
      }).observe(document.getElementById('jobs-body'), { subtree: true, childList: true, characterData: true });
    })()`);
    const job = await api<Job>('POST', '/v1/jobs', {
      target_language: 'de',
      simulate: { duration_ms: 1500, outcome: 'completed' },
    });
    await expect.poll(() => row(job.id).count()).toBe(1);
    expect(await cell(job.id, 'Language').textContent()).toBe('de');
    await expect
      .poll(() => cell(job.id, 'Status').textContent(), { timeout: UI_TIMEOUT_MS })
      .toBe('completed');
    expect(await cell(job.id, 'Progress').textContent()).toContain('100%');
    expect(await cell(job.id, 'Stage').textContent()).toBe('—');
    const stages = (await page.evaluate<[string, string][]>('window.__stages'))
      .filter(([id]) => id === job.id)
      .map(([, stage]) => stage);
    // Stage events come every 300 ms here; the row moved past `queued`, forward only. (A busy
    // browser may apply several events in one task, so not every stage need be painted.)
    const order = ['queued', 'transcribing', 'translating', 'voicing', 'lip syncing', 'rendering'];
    const seen = stages.filter((s) => order.includes(s)).map((s) => order.indexOf(s));
    expect(seen.filter((i) => i > 0).length).toBeGreaterThanOrEqual(1);
    expect(seen).toEqual([...seen].sort());
    expect(await page.evaluate('window.__loadMarker')).toBe(42);

    // The detail dialog shows what the stream said, and no webhook deliveries for this job.
    await row(job.id).getByRole('button', { name: job.id }).click();
    const dialog = page.locator('#job-detail');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    // Every stream event is in the history, whatever was painted: stage changes, then the end.
    const history = await page.locator('#detail-history li').allTextContents();
    const types = history.map((line) => /job\.\w+/.exec(line)?.[0]);
    expect(types.at(-1)).toBe('job.completed');
    expect(types.filter((t) => t === 'job.updated').length).toBeGreaterThanOrEqual(1);
    const historyStages = history
      .map((line) => order.findIndex((st) => line.includes(`pending, ${st},`)))
      .filter((i) => i >= 0);
    expect(historyStages).toEqual([...historyStages].sort());
    await expect
      .poll(() => page.locator('#detail-deliveries').textContent())
      .toContain('No deliveries');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-detail.png') });
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect(await page.evaluate('document.activeElement.textContent')).toBe(job.id);
  });

  it("lists a job's webhook deliveries with each attempt", async () => {
    const { port } = receiver.address() as AddressInfo;
    const job = await api<Job>('POST', '/v1/jobs', {
      target_language: 'ko',
      callback_url: `http://127.0.0.1:${port}/hook`,
      simulate: { duration_ms: 0, outcome: 'completed' },
    });
    await expect
      .poll(async () => {
        const { data } = await api<{ data: { state: string }[] }>(
          'GET',
          `/v1/jobs/${job.id}/deliveries`,
        );
        return data[0]?.state;
      })
      .toBe('succeeded');
    await row(job.id).getByRole('button', { name: job.id }).click();
    const deliveries = page.locator('#detail-deliveries');
    await expect.poll(() => deliveries.textContent()).toContain('job.completed');
    const text = (await deliveries.textContent()) ?? '';
    expect(text).toContain('succeeded');
    expect(text).toContain('2 attempts');
    expect(text).toMatch(/HTTP 500 in \d+ ms.*HTTP 204 in \d+ ms/s);
    expect(text).toContain(`127.0.0.1:${port}/hook`);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-deliveries.png') });
    await page.getByRole('button', { name: 'Close details' }).click();
    await expect.poll(() => page.locator('#job-detail').isVisible()).toBe(false);
  });

  it('creates a job from the form and cancels it from its row', async () => {
    await page.getByLabel('Target language').fill('fr');
    await page.getByLabel('Duration, s').fill('120');
    await page.getByLabel('Outcome').selectOption('completed');
    await page.getByRole('button', { name: 'Create job' }).click();
    await expect.poll(() => page.locator('#create-status').textContent()).toMatch(/^Created job_/);
    const id = ((await page.locator('#create-status').textContent()) ?? '').slice(8, -1);
    await expect.poll(() => cell(id, 'Status').textContent()).toBe('pending');
    expect(await cell(id, 'Language').textContent()).toBe('fr');
    expect(await cell(id, 'ETA').textContent()).toMatch(/^in \d+ (s|min)$/);

    // Keyboard only: focus the Cancel button and press Enter.
    await page.getByRole('button', { name: `Cancel job ${id}` }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => cell(id, 'Status').textContent()).toBe('canceled');
    // Focus stays in the row (on its id) once the Cancel button is gone.
    expect(await page.evaluate('document.activeElement.textContent')).toBe(id);
    expect(await page.getByRole('button', { name: `Cancel job ${id}` }).isVisible()).toBe(false);
    expect((await api<Job>('GET', `/v1/jobs/${id}`)).status).toBe('canceled');
    await expect.poll(() => page.locator('#announcer').textContent()).toContain('canceled');
  });

  it('filters the table by status', async () => {
    const pending = (
      await srv.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        payload: { simulate: { duration_ms: 60_000 } },
      })
    ).json<Job>();
    await expect.poll(() => row(pending.id).count()).toBe(1);
    const filter = page.getByLabel('Status', { exact: true });
    const visibleStatuses = () =>
      page
        .locator('#jobs-body tr[data-id]:visible')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status')));
    await filter.selectOption('canceled');
    await expect.poll(async () => (await visibleStatuses()).length).toBeGreaterThan(0);
    expect(new Set(await visibleStatuses())).toEqual(new Set(['canceled']));
    await filter.selectOption('pending');
    expect(new Set(await visibleStatuses())).toEqual(new Set(['pending']));
    await filter.selectOption('error');
    expect(await visibleStatuses()).toEqual([]);
    expect(await page.locator('#jobs-body tr.empty').textContent()).toContain('No error jobs');
    await filter.selectOption('');
    expect(new Set(await visibleStatuses())).toEqual(new Set(['pending', 'completed', 'canceled']));
  });

  it('reconnects by itself after the stream drops and resumes with Last-Event-ID', async () => {
    const before = eventRequests.length;
    const errorsBefore = consoleErrors.length;
    // Cut every connection (the stream among them), then create a job while the page is away.
    srv.app.server.closeAllConnections();
    const res = await srv.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { target_language: 'ja', simulate: { duration_ms: 60_000 } },
    });
    const missed = res.json<Job>();
    await expect.poll(() => row(missed.id).count(), { timeout: UI_TIMEOUT_MS }).toBe(1);
    await expect.poll(() => page.locator('#conn').getAttribute('data-state')).toBe('live');
    const resumed = eventRequests.slice(before);
    expect(resumed.length).toBeGreaterThanOrEqual(1);
    expect(resumed[0]?.['last-event-id']).toMatch(/^\d+-\d+$/);
    // Chromium logs the cut stream as a failed load; that one is expected, nothing else is.
    const dropErrors = consoleErrors.splice(errorsBefore);
    expect(
      dropErrors.filter(
        (e) => !/net::ERR_(INCOMPLETE_CHUNKED_ENCODING|EMPTY_RESPONSE|CONNECTION_\w+)/.test(e),
      ),
    ).toEqual([]);
  });

  it('stays readable on a narrow screen and leaves screenshots', async () => {
    await api('POST', '/v1/jobs', { target_language: 'pt-BR', simulate: { duration_ms: 90_000 } });
    await api('POST', '/v1/jobs', {
      target_language: 'hi',
      simulate: { duration_ms: 0, outcome: 'error' },
    });
    await expect.poll(() => page.locator('#jobs-body tr[data-status="error"]').count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(
      'document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-narrow.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-dark.png') });
    expect(await page.evaluate('window.__csp')).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it('shows older jobs on request, a page at a time', async () => {
    for (let i = 0; i < 55; i++) {
      await srv.app.inject({ method: 'POST', url: '/v1/jobs', payload: { target_language: 'el' } });
    }
    await page.reload();
    await expect.poll(() => page.locator('#conn').getAttribute('data-state')).toBe('live');
    const rows = page.locator('#jobs-body tr[data-id]');
    await expect.poll(() => rows.count()).toBe(50);
    const more = page.getByRole('button', { name: 'Show older jobs' });
    await more.click();
    // 55 new, the earlier jobs and the server's default: all listed, and no further page.
    const total = (await api<{ data: unknown[] }>('GET', '/v1/jobs?limit=100')).data.length;
    await expect.poll(() => rows.count()).toBe(total);
    expect(await more.isVisible()).toBe(false);
    expect(consoleErrors).toEqual([]);
  });
});
