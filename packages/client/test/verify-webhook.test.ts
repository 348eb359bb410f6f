import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WebhookVerificationError, verifyWebhook } from '@vtrans/client';
import { completedJson } from './helpers/scripted-server.js';

const keyBytes = randomBytes(24);
const secret = `whsec_${keyBytes.toString('base64')}`;
const nowMs = Date.parse('2026-05-01T12:00:00.000Z');
const nowS = Math.floor(nowMs / 1000);

function sign(id: string, timestampS: number, body: string, key: Buffer = keyBytes): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampS}.${body}`).digest('base64')}`;
}

function delivery(overrides: { body?: string; timestampS?: number; signature?: string } = {}) {
  const body =
    overrides.body ??
    JSON.stringify({
      type: 'job.completed',
      timestamp: '2026-05-01T12:00:00.000Z',
      data: completedJson(),
    });
  const timestampS = overrides.timestampS ?? nowS;
  return {
    body,
    headers: {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(timestampS),
      'webhook-signature': overrides.signature ?? sign('msg_1', timestampS, body),
    },
  };
}

async function reason(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WebhookVerificationError);
  return (error as WebhookVerificationError).reason;
}

describe('verifyWebhook', () => {
  it('accepts a valid delivery and returns its event', async () => {
    const { body, headers } = delivery();
    const event = await verifyWebhook(body, headers, secret, { nowMs });
    expect(event.id).toBe('msg_1');
    expect(event.type).toBe('job.completed');
    expect(event.timestampMs).toBe(nowS * 1000);
    expect(event.data.status).toBe('completed');
  });

  it('accepts a Uint8Array body and a Headers object', async () => {
    const { body, headers } = delivery();
    const event = await verifyWebhook(
      new TextEncoder().encode(body),
      new Headers(headers),
      secret,
      { nowMs },
    );
    expect(event.type).toBe('job.completed');
  });

  it('rejects a modified body', async () => {
    const { body, headers } = delivery();
    expect(
      await reason(verifyWebhook(body.replace('completed', 'error'), headers, secret, { nowMs })),
    ).toBe('invalid_signature');
  });

  it('rejects a modified timestamp even within tolerance', async () => {
    const { body, headers } = delivery();
    const moved = { ...headers, 'webhook-timestamp': String(nowS - 1) };
    expect(await reason(verifyWebhook(body, moved, secret, { nowMs }))).toBe('invalid_signature');
  });

  it('rejects another secret', async () => {
    const { body, headers } = delivery();
    const other = `whsec_${randomBytes(24).toString('base64')}`;
    expect(await reason(verifyWebhook(body, headers, other, { nowMs }))).toBe('invalid_signature');
  });

  it('accepts any of several signatures during a secret rotation', async () => {
    const oldKey = randomBytes(24);
    const { body } = delivery();
    const both = `${sign('msg_1', nowS, body, oldKey)} ${sign('msg_1', nowS, body)}`;
    const { headers } = delivery({ signature: both });
    await expect(verifyWebhook(body, headers, secret, { nowMs })).resolves.toMatchObject({
      id: 'msg_1',
    });
    await expect(
      verifyWebhook(body, headers, `whsec_${oldKey.toString('base64')}`, { nowMs }),
    ).resolves.toMatchObject({ id: 'msg_1' });
  });

  it('rejects timestamps outside the tolerance either way (5 minutes by default)', async () => {
    const old = delivery({ timestampS: nowS - 301 });
    expect(await reason(verifyWebhook(old.body, old.headers, secret, { nowMs }))).toBe(
      'timestamp_too_old',
    );
    const future = delivery({ timestampS: nowS + 301 });
    expect(await reason(verifyWebhook(future.body, future.headers, secret, { nowMs }))).toBe(
      'timestamp_in_future',
    );
    const edge = delivery({ timestampS: nowS - 299 });
    await expect(verifyWebhook(edge.body, edge.headers, secret, { nowMs })).resolves.toBeDefined();
    expect(
      await reason(verifyWebhook(edge.body, edge.headers, secret, { nowMs, toleranceMs: 1000 })),
    ).toBe('timestamp_too_old');
  });

  it('rejects missing and malformed headers', async () => {
    const { body, headers } = delivery();
    const { 'webhook-id': _id, ...withoutId } = headers;
    expect(await reason(verifyWebhook(body, withoutId, secret, { nowMs }))).toBe('missing_headers');
    expect(
      await reason(
        verifyWebhook(body, { ...headers, 'webhook-timestamp': 'soon' }, secret, { nowMs }),
      ),
    ).toBe('malformed_headers');
    expect(
      await reason(
        verifyWebhook(body, { ...headers, 'webhook-signature': 'v2,abc' }, secret, { nowMs }),
      ),
    ).toBe('malformed_headers');
  });

  it('rejects a correctly signed body that is not an event', async () => {
    const body = '{"hello": "world"}';
    const { headers } = delivery({ body });
    expect(await reason(verifyWebhook(body, headers, secret, { nowMs }))).toBe('malformed_body');
    const notJson = 'not json';
    expect(
      await reason(verifyWebhook(notJson, delivery({ body: notJson }).headers, secret, { nowMs })),
    ).toBe('malformed_body');
  });

  it('rejects a secret that is not base64', async () => {
    const { body, headers } = delivery();
    expect(await reason(verifyWebhook(body, headers, 'whsec_!!!', { nowMs }))).toBe(
      'invalid_secret',
    );
  });
});
