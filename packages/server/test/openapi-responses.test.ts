/**
 * The response check every HTTP test runs through (`helpers/response-check.ts`): it refuses what
 * the API description does not describe, and it sees both `app.inject()` and real HTTP answers.
 */
import { describe, expect, it } from 'vitest';
import { SECURITY_HEADERS } from '../src/plugins/http-headers.js';
import { generateSecret, signatureHeader } from '../src/webhooks/signature.js';
import {
  createResponseValidator,
  parseEventStream,
  type ObservedResponse,
} from './helpers/openapi-responses.js';
import { responsesChecked } from './helpers/response-check.js';
import { buildTestApp } from './helpers/server.js';

async function validatorAndJob() {
  const { app } = await buildTestApp({
    apiKeys: [{ key: 'check-key-1', tenant: 't', tier: 'free' }],
  });
  const auth = { authorization: 'Bearer check-key-1' };
  const created = await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth });
  const res = await app.inject({
    method: 'GET',
    url: `/v1/jobs/${created.json<{ id: string }>().id}`,
    headers: auth,
  });
  const document: object = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  const observed: ObservedResponse = {
    method: 'GET',
    url: `/v1/jobs/${created.json<{ id: string }>().id}`,
    status: res.statusCode,
    headers: res.headers,
    body: res.rawPayload,
    complete: true,
  };
  // Security headers travel on every answer; the document does not repeat them everywhere.
  const genericHeaders = Object.keys(SECURITY_HEADERS);
  return { validator: createResponseValidator(document, { genericHeaders }), observed };
}

describe('the response validator', () => {
  it('accepts a real answer as the server sent it', async () => {
    const { validator, observed } = await validatorAndJob();
    expect(validator.check(observed)).toEqual([]);
  });

  it('refuses an undocumented status, a missing required header, an unknown header and a wrong body', async () => {
    const { validator, observed } = await validatorAndJob();
    const job = JSON.parse(observed.body.toString()) as Record<string, unknown>;
    const { etag: _etag, ...withoutEtag } = observed.headers;
    const cases: [Partial<ObservedResponse>, RegExp][] = [
      [{ status: 418 }, /answered 418, which the document does not describe/],
      [{ headers: withoutEtag }, /the required header ETag is missing/],
      [
        { headers: { ...observed.headers, 'x-debug': '1' } },
        /header x-debug, which the document does not describe/,
      ],
      [{ headers: { ...observed.headers, 'retry-after': 'soon' } }, /Retry-After: "soon"/],
      [{ headers: { ...observed.headers, ratelimit: 'lots' } }, /RateLimit: "lots"/],
      [
        { headers: { ...observed.headers, 'content-type': 'text/plain' } },
        /Content-Type text\/plain/,
      ],
      [
        { body: Buffer.from(JSON.stringify({ ...job, status: 'done' })) },
        /\/status must be equal to one of/,
      ],
      [
        { body: Buffer.from(JSON.stringify({ ...job, debug: true })) },
        /must NOT have additional properties/,
      ],
      [{ body: Buffer.from('{"id":') }, /the body is not JSON/],
      [{ url: '/v1/nothing-here', status: 200 }, /describes no such operation/],
    ];
    for (const [change, expected] of cases) {
      expect(validator.check({ ...observed, ...change }).join('\n'), String(expected)).toMatch(
        expected,
      );
    }
  });

  it('checks each event of a stream against the stream’s event schema', async () => {
    const { validator, observed } = await validatorAndJob();
    const job = observed.body.toString();
    const stream = (events: string): ObservedResponse => ({
      ...observed,
      url: `${observed.url}/events`,
      headers: {
        'x-request-id': String(observed.headers['x-request-id']),
        'content-type': 'text/event-stream; charset=utf-8',
        'x-accel-buffering': 'no',
        ratelimit: String(observed.headers.ratelimit),
        'ratelimit-policy': String(observed.headers['ratelimit-policy']),
      },
      body: Buffer.from(`retry: 1000\n\n${events}: heartbeat\n\n`),
    });
    expect(validator.check(stream(`id: 0\nevent: job.updated\ndata: ${job}\n\n`))).toEqual([]);
    expect(validator.check(stream(`id: 9\nevent: job.updated\ndata: ${job}\n\n`)).join()).toMatch(
      /event job.updated \(id 9\)/,
    );
    expect(validator.check(stream(`id: 6\nevent: job.exploded\ndata: ${job}\n\n`)).join()).toMatch(
      /event job.exploded/,
    );
  });

  it('reads complete events only, as EventSource does', () => {
    expect(
      parseEventStream('retry: 5\n\n: c\n\nid: 1\nevent: a\ndata: {}\n\nid: 2\ndata: {'),
    ).toEqual([{ id: '1', event: 'a', data: '{}' }]);
  });
});

describe('the webhook check', () => {
  it('accepts a signed delivery as the server sends it and refuses what the webhooks section does not describe', async () => {
    const { validator, observed } = await validatorAndJob();
    const data = JSON.parse(observed.body.toString()) as Record<string, unknown>;
    const body = JSON.stringify({
      type: 'job.updated',
      timestamp: new Date(0).toISOString(),
      data,
    });
    const id = `msg_${String(data.id)}_1`;
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': '1767225600',
      'webhook-signature': signatureHeader([generateSecret()], id, 1767225600, body),
    };
    expect(validator.checkWebhook({ headers, body })).toEqual([]);
    const { 'webhook-signature': _signature, ...unsigned } = headers;
    expect(validator.checkWebhook({ headers: unsigned, body }).join()).toMatch(
      /webhook-signature is missing/,
    );
    expect(
      validator.checkWebhook({ headers, body: body.replace('job.updated', 'job.created') }).join(),
    ).toMatch(/type job.created, which the document does not describe/);
    expect(
      validator
        .checkWebhook({ headers, body: JSON.stringify({ ...JSON.parse(body), extra: 1 }) })
        .join(),
    ).toMatch(/the body/);
  });
});

describe('the response check in the test helpers', () => {
  it('checks answers to app.inject() and to real HTTP requests alike', async () => {
    const { app, url } = await buildTestApp({ listen: true });
    const before = responsesChecked();
    await app.inject({ method: 'GET', url: '/healthz' });
    expect(responsesChecked()).toBe(before + 1);
    const res = await fetch(`${url}/v1/jobs`, { method: 'POST' });
    await res.text();
    // The server records the answer when its response closes, right after the client has it.
    await expect.poll(() => responsesChecked()).toBe(before + 2);
  });
});
