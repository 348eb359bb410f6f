/**
 * The API description says what this server, as configured, does: who must authenticate, whether
 * limits and faults apply, which headers travel, and how streams and webhooks look.
 */
import { describe, expect, it } from 'vitest';
import type { ServerConfig } from '../src/config.js';
import { buildTestApp } from './helpers/server.js';

interface Header {
  required?: boolean;
  $ref?: string;
}
interface Response {
  description: string;
  headers?: Record<string, Header>;
  content?: Record<string, { schema?: unknown; 'x-itemSchema'?: unknown }>;
}
interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name?: string; in?: string; $ref?: string }[];
  responses: Record<string, Response>;
}
interface Document {
  info: { license?: { name: string } };
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes?: Record<string, unknown> };
  webhooks: Record<string, { post: Operation & { requestBody: unknown } }>;
}

const KEYS = [{ key: 'doc-test-key-1', tenant: 'acme', tier: 'free' }];

async function documentFor(config: Partial<ServerConfig> = {}): Promise<Document> {
  const { app } = await buildTestApp(config);
  return (await app.inject({ method: 'GET', url: '/openapi.json' })).json<Document>();
}

function operations(doc: Document): [string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]): [string, Operation] => [`${method} ${path}`, op]),
  );
}

describe('every operation', () => {
  it('has a stable camelCase operationId, a tag, a summary and the X-Request-Id header both ways', async () => {
    const doc = await documentFor({ apiKeys: KEYS });
    const ids = operations(doc).map(([name, op]) => [name, op.operationId]);
    expect(Object.fromEntries(ids)).toEqual({
      'get /docs': 'getDocsPage',
      'get /openapi.json': 'getOpenApiDocument',
      'get /healthz': 'getHealth',
      'get /readyz': 'getReadiness',
      'get /metrics': 'getMetrics',
      'get /status': 'getStatus',
      'post /v1/jobs': 'createJob',
      'get /v1/jobs': 'listJobs',
      'get /v1/jobs/{id}': 'getJob',
      'post /v1/jobs/{id}/cancel': 'cancelJob',
      'get /v1/jobs/{id}/events': 'streamJobEvents',
      'get /v1/events': 'streamEvents',
      'get /v1/webhooks/secret': 'getWebhookSecret',
      'post /v1/webhooks/secret/rotate': 'rotateWebhookSecret',
      'get /v1/jobs/{id}/deliveries': 'listJobDeliveries',
      'get /v1/settings': 'getSettings',
      'get /v1/stats': 'getStats',
      'get /': 'getDashboard',
      'get /assets/{name}': 'getDashboardAsset',
    });
    for (const [name, op] of operations(doc)) {
      expect(op.operationId, name).toMatch(/^[a-z][A-Za-z]+$/);
      expect(op.tags?.length, name).toBe(1);
      expect(op.summary, name).toBeTruthy();
      expect(op.parameters, name).toContainEqual({ $ref: '#/components/parameters/XRequestId' });
      for (const [status, response] of Object.entries(op.responses)) {
        // The HTTP parser answers 408 and 431 before any header could be added.
        if (status === '408' || status === '431') continue;
        expect(response.headers?.['X-Request-Id']?.required, `${name} ${status}`).toBe(true);
      }
    }
    expect(doc.servers).toEqual([{ url: '/', description: 'This server' }]);
    expect(doc.info.license?.name).toBe('MIT');
  });

  it('describes the request and response headers of conditional, long-polled and created answers', async () => {
    const doc = await documentFor();
    const getJob = doc.paths['/v1/jobs/{id}']?.get;
    expect(getJob?.parameters?.map((p) => p.name ?? p.$ref)).toEqual([
      'wait',
      'id',
      'prefer',
      'if-none-match',
      '#/components/parameters/XRequestId',
    ]);
    expect(getJob?.responses['200']?.headers?.ETag?.required).toBe(true);
    expect(Object.keys(getJob?.responses['304']?.headers ?? {})).toEqual(
      expect.arrayContaining(['ETag', 'Retry-After', 'Preference-Applied', 'Vary']),
    );
    expect(getJob?.responses['304']?.content).toBeUndefined();
    const create = doc.paths['/v1/jobs']?.post;
    expect(create?.parameters?.map((p) => p.name ?? p.$ref)).toContain('idempotency-key');
    expect(create?.responses['201']?.headers).toMatchObject({
      Location: { required: true },
      ETag: { required: true },
      'Idempotent-Replayed': { required: false },
    });
    expect(Object.keys(create?.responses ?? {})).toEqual(
      expect.arrayContaining(['201', '400', '413', '415', '422', '500', '503']),
    );
    const events = doc.paths['/v1/jobs/{id}/events']?.get;
    expect(events?.parameters?.map((p) => p.name)).toContain('last-event-id');
  });
});

describe('access, as configured', () => {
  it('in open mode requires nothing anywhere: no security scheme, no 401', async () => {
    const doc = await documentFor();
    expect(doc.components.securitySchemes ?? {}).toEqual({});
    for (const [name, op] of operations(doc)) {
      expect(op.security, name).toEqual([]);
      expect(op.responses['401'], name).toBeUndefined();
      // Open mode has no rate limits unless VT_RATE_LIMITS sets some.
      expect(op.responses['429'], name).toBeUndefined();
    }
  });

  it('with keys: bearer on /v1, optional on /status, none on public routes; 401 and 429 where they apply', async () => {
    const doc = await documentFor({ apiKeys: KEYS });
    expect(Object.keys(doc.components.securitySchemes ?? {})).toEqual(['bearerAuth']);
    for (const [name, op] of operations(doc)) {
      const path = name.split(' ')[1] ?? '';
      if (path.startsWith('/v1/')) {
        expect(op.security, name).toEqual([{ bearerAuth: [] }]);
        expect(op.responses['401']?.headers?.['WWW-Authenticate']?.required, name).toBe(true);
      } else if (path === '/status') {
        expect(op.security, name).toEqual([{}, { bearerAuth: [] }]);
        expect(op.responses['401'], name).toBeDefined();
      } else {
        expect(op.security, name).toEqual([]);
        expect(op.responses['401'], name).toBeUndefined();
      }
      const api = path.startsWith('/v1/') || path === '/status';
      expect(op.responses['429'] !== undefined, name).toBe(api);
      if (api) {
        expect(op.responses['429']?.headers).toMatchObject({
          'Retry-After': { required: true },
          RateLimit: { required: true },
          'RateLimit-Policy': { required: true },
        });
      }
    }
  });

  it('describes the metrics token, VT_RATE_LIMITS in open mode, and VT_FAULTS statuses', async () => {
    const doc = await documentFor({
      metricsToken: 'metrics-secret-1',
      rateLimits: [{ name: 'free', limit: 100, windowS: 60 }],
      faults: '503=0.1,502=0.05,retry-after=2,methods=GET',
    });
    expect(Object.keys(doc.components.securitySchemes ?? {})).toEqual(['metricsToken']);
    const metrics = doc.paths['/metrics']?.get;
    expect(metrics?.security).toEqual([{ metricsToken: [] }]);
    expect(metrics?.responses['401']).toBeDefined();
    const getJob = doc.paths['/v1/jobs/{id}']?.get;
    expect(getJob?.responses['429']).toBeDefined();
    expect(getJob?.responses['502']?.description).toContain('injected_fault');
    expect(getJob?.responses['502']?.headers?.['Retry-After']?.required).toBe(true);
    expect(getJob?.responses['503']?.description).toContain('injected_fault');
    // `methods=GET`: a POST is never faulted, and health is never faulted.
    expect(doc.paths['/v1/jobs']?.post?.responses['502']).toBeUndefined();
    expect(doc.paths['/healthz']?.get?.responses['502']).toBeUndefined();
  });
});

describe('streams and webhooks', () => {
  it('describes each event stream as text/event-stream with its event types and ids', async () => {
    const doc = await documentFor();
    const perJob = doc.paths['/v1/jobs/{id}/events']?.get?.responses;
    const media = perJob?.['200']?.content?.['text/event-stream'];
    expect(JSON.stringify(media?.['x-itemSchema'])).toContain('"pattern":"^[0-5]$"');
    expect(JSON.stringify(media?.['x-itemSchema'])).toContain('"job.canceled"');
    expect(perJob?.['204']?.description).toContain('terminal event');
    const tenant = doc.paths['/v1/events']?.get?.responses['200']?.content?.['text/event-stream'];
    expect(JSON.stringify(tenant?.['x-itemSchema'])).toContain('job.created');
  });

  it('lists every webhook with its body and the signature headers', async () => {
    const doc = await documentFor();
    expect(Object.keys(doc.webhooks)).toEqual([
      'job.updated',
      'job.completed',
      'job.failed',
      'job.canceled',
    ]);
    for (const [type, { post }] of Object.entries(doc.webhooks)) {
      expect(
        post.parameters?.map((p) => p.$ref),
        type,
      ).toEqual([
        '#/components/parameters/WebhookId',
        '#/components/parameters/WebhookTimestamp',
        '#/components/parameters/WebhookSignature',
      ]);
      expect(JSON.stringify(post.requestBody), type).toContain(`"const":"${type}"`);
    }
  });
});
