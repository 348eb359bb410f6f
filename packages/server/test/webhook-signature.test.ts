import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyWebhook } from '@vtrans/client';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, resolveConfig } from '../src/config.js';
import { parseRetryDelays, retryDelayMs } from '../src/webhooks/retry-schedule.js';
import {
  generateSecret,
  hasValidSignature,
  secretProblem,
  signatureHeader,
} from '../src/webhooks/signature.js';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const OTHER = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
const JOB = {
  id: 'job_aaaaaaaaaaaaaaaaaaaa',
  status: 'completed',
  progress: 1,
  stage: null,
  source_url: null,
  target_language: null,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:10.000Z',
  eta: null,
  completed_at: '2026-01-01T00:00:10.000Z',
  error: null,
  result: { video_url: 'https://media.vtrans.invalid/x.mp4' },
  version: 2,
};
const BODY = JSON.stringify({ type: 'job.completed', timestamp: JOB.completed_at, data: JOB });
const ID = 'msg_job_aaaaaaaaaaaaaaaaaaaa_6';
const NOW_MS = Date.UTC(2026, 0, 1, 0, 0, 10);
const TS = Math.floor(NOW_MS / 1000);

const headersFor = (signature: string, ts = TS) => ({
  'webhook-id': ID,
  'webhook-timestamp': String(ts),
  'webhook-signature': signature,
});

describe('Standard Webhooks signatures', () => {
  it('verify with the client helper', async () => {
    const header = signatureHeader([SECRET], ID, TS, BODY);
    expect(header).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    const event = await verifyWebhook(BODY, headersFor(header), SECRET, { nowMs: NOW_MS });
    expect(event).toMatchObject({ id: ID, type: 'job.completed', data: { id: JOB.id } });
    expect(hasValidSignature(header, SECRET, ID, TS, BODY)).toBe(true);
  });

  it('match the Standard Webhooks test vector', () => {
    // From the Standard Webhooks reference libraries' tests.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    expect(
      signatureHeader(
        [secret],
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        1_614_265_330,
        '{"test": 2432232314}',
      ),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('fail when the body changes', async () => {
    const header = signatureHeader([SECRET], ID, TS, BODY);
    const tampered = BODY.replace('"completed"', '"error"');
    await expect(
      verifyWebhook(tampered, headersFor(header), SECRET, { nowMs: NOW_MS }),
    ).rejects.toMatchObject({ reason: 'invalid_signature' });
    expect(hasValidSignature(header, SECRET, ID, TS, tampered)).toBe(false);
  });

  it('fail when the timestamp changes', async () => {
    const header = signatureHeader([SECRET], ID, TS, BODY);
    await expect(
      verifyWebhook(BODY, headersFor(header, TS + 1), SECRET, { nowMs: NOW_MS }),
    ).rejects.toMatchObject({ reason: 'invalid_signature' });
    expect(hasValidSignature(header, SECRET, ID, TS + 1, BODY)).toBe(false);
  });

  it('fail with another secret', async () => {
    const header = signatureHeader([SECRET], ID, TS, BODY);
    await expect(
      verifyWebhook(BODY, headersFor(header), OTHER, { nowMs: NOW_MS }),
    ).rejects.toMatchObject({ reason: 'invalid_signature' });
    expect(hasValidSignature(header, OTHER, ID, TS, BODY)).toBe(false);
  });

  it('carry one v1 entry per signing secret, each verifying alone', async () => {
    const header = signatureHeader([SECRET, OTHER], ID, TS, BODY);
    expect(header.split(' ')).toHaveLength(2);
    for (const secret of [SECRET, OTHER]) {
      await expect(
        verifyWebhook(BODY, headersFor(header), secret, { nowMs: NOW_MS }),
      ).resolves.toMatchObject({ id: ID });
    }
  });
});

describe('secrets', () => {
  it('are generated as whsec_ + base64 of 32 bytes, different each time', () => {
    const a = generateSecret();
    expect(secretProblem(a)).toBeUndefined();
    expect(Buffer.from(a.slice(6), 'base64')).toHaveLength(32);
    expect(generateSecret()).not.toBe(a);
  });

  it.each([
    ['no prefix', Buffer.alloc(32).toString('base64')],
    ['too short', `whsec_${Buffer.alloc(23).toString('base64')}`],
    ['not base64', 'whsec_%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%'],
    ['empty', 'whsec_'],
  ])('refuse a secret with %s', (_label, secret) => {
    expect(secretProblem(secret)).toContain('whsec_');
  });
});

describe('webhook configuration', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'vt-webhook-config-'));
  const load = (env: Record<string, string>) => loadConfig(env, cwd);

  it('reads every variable', () => {
    const config = load({
      VT_WEBHOOK_SECRET: SECRET,
      VT_WEBHOOK_RETRY_DELAYS: '50ms, 1s,2m',
      VT_WEBHOOK_TIMEOUT: '3s',
      VT_WEBHOOK_ALLOW_HOSTS: '127.0.0.1, LocalHost,[::1]',
    });
    expect(config.webhookSecret).toBe(SECRET);
    expect(config.webhookRetryDelaysMs).toEqual([50, 1000, 120_000]);
    expect(config.webhookTimeoutMs).toBe(3000);
    expect(config.webhookAllowHosts).toEqual(['127.0.0.1', 'localhost', '::1']);
  });

  it('defaults to a schedule spanning about a day and a 10 s timeout', () => {
    const config = load({});
    const totalMs = config.webhookRetryDelaysMs.reduce((a, b) => a + b, 0);
    expect(totalMs).toBeGreaterThan(18 * 3_600_000);
    expect(totalMs).toBeLessThan(30 * 3_600_000);
    expect(config.webhookTimeoutMs).toBe(10_000);
    expect(config.webhookAllowHosts).toEqual([]);
    expect(config.webhookSecret).toBeUndefined();
  });

  it.each([
    ['VT_WEBHOOK_SECRET', 'secret123'],
    ['VT_WEBHOOK_SECRET', `whsec_${Buffer.alloc(16).toString('base64')}`],
    ['VT_WEBHOOK_RETRY_DELAYS', '5s,soon'],
    ['VT_WEBHOOK_RETRY_DELAYS', '5s,,30s'],
    ['VT_WEBHOOK_RETRY_DELAYS', '30d'],
    ['VT_WEBHOOK_TIMEOUT', '0'],
    ['VT_WEBHOOK_TIMEOUT', 'ten'],
    ['VT_WEBHOOK_ALLOW_HOSTS', 'http://127.0.0.1/'],
  ])('refuses %s=%s with one line naming the variable', (variable, value) => {
    let error: unknown;
    try {
      load({ [variable]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain(variable);
    expect(message).not.toContain('\n');
  });

  it('never echoes a bad secret', () => {
    expect(() => load({ VT_WEBHOOK_SECRET: 'whsec_c2hvcnQ=' })).toThrow(/<hidden>/);
  });

  it('checks settings given in code', () => {
    expect(() => resolveConfig({ webhookSecret: 'nope' })).toThrow(/webhookSecret/);
    expect(() => resolveConfig({ webhookRetryDelaysMs: [50, -1] })).toThrow(/webhookRetryDelaysMs/);
    expect(() => resolveConfig({ webhookTimeoutMs: 0 })).toThrow(/webhookTimeoutMs/);
  });
});

describe('the retry schedule', () => {
  it('parses durations and "none"', () => {
    expect(parseRetryDelays('X', '5s,30s,2m,15m,1h,6h,24h')).toEqual([
      5000, 30_000, 120_000, 900_000, 3_600_000, 21_600_000, 86_400_000,
    ]);
    expect(parseRetryDelays('X', 'none')).toEqual([]);
  });

  it('draws each delay within ±10 % and ends after the last', () => {
    const delays = [1000, 60_000];
    expect(retryDelayMs(delays, 1, () => 0)).toBe(900);
    expect(retryDelayMs(delays, 1, () => 0.5)).toBe(1000);
    expect(retryDelayMs(delays, 1, () => 0.999_999)).toBe(1100);
    expect(retryDelayMs(delays, 2, () => 0)).toBe(54_000);
    expect(retryDelayMs(delays, 3, () => 0.5)).toBeUndefined();
  });
});
