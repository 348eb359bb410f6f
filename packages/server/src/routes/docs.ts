/**
 * The API description and its docs page. `GET /openapi.json` is an OpenAPI 3.1 document generated
 * by @fastify/swagger from the routes' own schemas (the shared `Job` and `Problem` schemas become
 * components), finished for the server as configured (`openapi/finish-document.ts`), so it cannot
 * drift from what the server validates and answers. `GET /docs` is Swagger UI with its assets
 * served from this process (no CDN) and vtrans's name and logo (`docs-brand.ts`); its page loads
 * only external scripts, so the server's CSP (`script-src 'self'`) holds there too.
 */
import fastifySwagger, { type SwaggerOptions } from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { finishDocument, type DocumentFacts } from '../openapi/finish-document.js';
import { WebhookEventSchema, WebhookParameters, webhooksSection } from '../openapi/webhooks.js';
import { jsonResponse, textResponse } from '../schemas/responses.js';
import { docsBranding } from './docs-brand.js';

/** Where the docs page lives. */
export const DOCS_PREFIX = '/docs';

/** Swagger UI's page, which the plugin registers hidden: described like every route. */
const DOCS_PAGE_SCHEMA = {
  operationId: 'getDocsPage',
  summary: 'This API description as a page (Swagger UI)',
  tags: ['operations'],
  response: {
    200: textResponse('The page; its scripts and styles come from this server', ['text/html']),
  },
};

function modeDescription(facts: DocumentFacts): string {
  const access = facts.hasKeys
    ? 'This server requires an API key (`Authorization: Bearer <key>`) on every `/v1` route; the key names your tenant.'
    : 'This server runs in open mode: no API key is needed, and every caller is the one public tenant.';
  const limits = facts.isRateLimited
    ? ' API routes are rate limited (`RateLimit`, `RateLimit-Policy`, 429).'
    : '';
  const faults = facts.faults ? ' VT_FAULTS injects faults into the API routes.' : '';
  return access + limits + faults;
}

export function registerDocsRoutes(
  app: FastifyInstance,
  options: { version: string } & DocumentFacts,
): void {
  const { version, ...facts } = options;
  const securitySchemes: Record<string, { type: 'http'; scheme: 'bearer'; description: string }> =
    {};
  if (facts.hasKeys) {
    securitySchemes.bearerAuth = {
      type: 'http',
      scheme: 'bearer',
      description: 'An API key from VT_API_KEYS or VT_API_KEYS_FILE',
    };
  }
  if (facts.hasMetricsToken) {
    securitySchemes.metricsToken = {
      type: 'http',
      scheme: 'bearer',
      description: 'The VT_METRICS_TOKEN of this server',
    };
  }
  const swaggerOptions: SwaggerOptions = {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'vtrans',
        version,
        description: `A video-translation job service simulator: create jobs, long-poll them (\`Prefer: wait=N\`), stream their events, or receive webhooks. Errors are RFC 9457 problem+json with a stable \`code\`. ${modeDescription(facts)}`,
        license: { name: 'MIT', identifier: 'MIT' },
      },
      servers: [{ url: '/', description: 'This server' }],
      components: {
        securitySchemes,
        parameters: {
          XRequestId: {
            name: 'x-request-id',
            in: 'header',
            required: false,
            description:
              'Your id for this request (1 to 128 of `A-Z a-z 0-9 . _ : -`): answered in `X-Request-Id` and named in the logs; another value is replaced by one made here',
            schema: { type: 'string' },
          },
          ...WebhookParameters,
        },
        schemas: { WebhookEvent: WebhookEventSchema },
      },
      tags: [
        { name: 'jobs', description: 'Create, read, wait for and cancel jobs' },
        { name: 'events', description: 'Server-Sent Events' },
        { name: 'webhooks', description: 'Signed callbacks, their secret and their deliveries' },
        {
          name: 'operations',
          description: 'Health, readiness, metrics, settings, stats, this API description',
        },
        { name: 'dashboard', description: 'The web dashboard' },
        { name: 'compatibility', description: "The original project's endpoint" },
      ],
      // Checked by the lint and the response validation in the tests, not by openapi-types.
      webhooks: webhooksSection() as never,
    },
    // Shared schemas keep their `$id` as the component name, so `$ref: 'Job'` becomes
    // `#/components/schemas/Job`.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `schema-${i}`,
    },
    // Swagger UI registers its page as `/docs/` (and `/docs`), hidden: describe it as `/docs`.
    transform: ({ schema, url, route }) =>
      url === `${DOCS_PREFIX}/` && route.method === 'GET'
        ? { schema: DOCS_PAGE_SCHEMA, url: DOCS_PREFIX }
        : { schema, url },
    transformObject: (documentObject) => {
      const doc = 'openapiObject' in documentObject ? documentObject.openapiObject : {};
      return finishDocument(doc, facts);
    },
  };
  void app.register(fastifySwagger, swaggerOptions);
  void app.register(fastifySwaggerUi, {
    routePrefix: DOCS_PREFIX,
    ...docsBranding(),
    uiConfig: { deepLinking: true, tryItOutEnabled: false },
    // The plugin's own CSP would allow `https:` styles; ours (set on every answer) is stricter.
    staticCSP: false,
  });

  // In a child context so it loads after @fastify/swagger and is described like every route.
  void app.register(async (child) => {
    child.get(
      '/openapi.json',
      {
        schema: {
          operationId: 'getOpenApiDocument',
          summary: 'This API description (OpenAPI 3.1)',
          tags: ['operations'],
          response: {
            200: jsonResponse(
              'The document, exact for this server as configured',
              Type.Object({}, { additionalProperties: true }),
            ),
          },
        },
      },
      async (_request, reply) =>
        reply
          .header('cache-control', 'no-cache')
          .type('application/json; charset=utf-8')
          .serializer(JSON.stringify)
          .send(app.swagger()),
    );
  });
}
