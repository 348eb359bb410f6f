/**
 * The API description and its docs page. `GET /openapi.json` is an OpenAPI 3.1 document generated
 * by @fastify/swagger from the routes' own schemas (the shared `Job` and `Problem` schemas become
 * components), so it cannot drift from what the server validates. `GET /docs` is Swagger UI with
 * its assets served from this process (no CDN) and vtrans's name and logo (`docs-brand.ts`); its
 * page loads only external scripts, so the server's CSP (`script-src 'self'`) holds there too.
 */
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { docsBranding } from './docs-brand.js';

/** Where the docs page lives. */
export const DOCS_PREFIX = '/docs';
const PROBLEM_TYPE = 'application/problem+json';
const SSE_TYPE = 'text/event-stream';

type Json = Record<string, unknown>;
interface OperationObject {
  security?: Json[];
  requestBody?: { required?: boolean; content?: Record<string, Json> };
  responses?: Record<string, { description?: string; content?: Record<string, Json> }>;
}

/**
 * Fills in what route schemas cannot say: errors are `application/problem+json`, event streams are
 * `text/event-stream`, and API routes need a bearer key (401) and may be rate limited (429).
 */
export function finishDocument(doc: Json, hasKeys: boolean): Json {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, OperationObject>>;
  for (const [path, item] of Object.entries(paths)) {
    const isApi = path.startsWith('/v1');
    for (const op of Object.values(item)) {
      if (!op || typeof op !== 'object' || !op.responses) continue;
      // A body whose fields are all optional may be left out (`POST /v1/jobs` with no body).
      const body = op.requestBody?.content?.['application/json']?.schema as Json | undefined;
      if (op.requestBody && body && !Array.isArray(body.required)) op.requestBody.required = false;
      const responses = op.responses;
      for (const [status, response] of Object.entries(responses)) {
        const json = response.content?.['application/json'];
        if (!json) continue;
        if (Number(status) >= 400) response.content = { [PROBLEM_TYPE]: json };
        else if ((json.schema as Json | undefined)?.description === SSE_TYPE)
          response.content = { [SSE_TYPE]: { schema: { type: 'string' } } };
      }
      if (isApi) {
        op.security = [{ bearerAuth: [] }];
        const problem = (description: string) => ({
          description,
          content: { [PROBLEM_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
        });
        if (hasKeys) responses['401'] ??= problem('Missing, malformed or unknown API key');
        responses['429'] ??= problem('Rate limit reached; see Retry-After and RateLimit');
      }
    }
  }
  return doc;
}

export function registerDocsRoutes(
  app: FastifyInstance,
  options: { version: string; hasKeys: boolean },
): void {
  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'vtrans',
        version: options.version,
        description:
          'A video-translation job service simulator: create jobs, long-poll them (`Prefer: wait=N`), stream their events, or receive webhooks. Errors are RFC 9457 problem+json with a stable `code`.',
      },
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API key from VT_API_KEYS (not needed in open mode)',
          },
        },
      },
      tags: [
        { name: 'jobs', description: 'Create, read, wait for and cancel jobs' },
        { name: 'events', description: 'Server-Sent Events' },
        { name: 'operations', description: 'Health, readiness, metrics, API description' },
        { name: 'compatibility', description: "The original project's endpoint" },
      ],
    },
    // Shared schemas keep their `$id` as the component name, so `$ref: 'Job'` becomes
    // `#/components/schemas/Job`.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `schema-${i}`,
    },
    transformObject: (documentObject) => {
      const doc = 'openapiObject' in documentObject ? documentObject.openapiObject : {};
      return finishDocument(doc, options.hasKeys);
    },
  });
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
          summary: 'This API description (OpenAPI 3.1)',
          tags: ['operations'],
          response: { 200: Type.Object({}, { additionalProperties: true }) },
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
