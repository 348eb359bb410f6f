/**
 * Checks HTTP responses against an OpenAPI 3.1 document, as a validating proxy would: the
 * operation (method and path template), the status, every header (those the document describes
 * must match it; any other must be one of the generic ones below), the media type and the body
 * (JSON against its schema; each Server-Sent Event against the media type's `x-itemSchema`).
 *
 * Small on purpose: `createResponseValidator(document)` and `check(response)`, which returns the
 * problems (none when the document describes the response). It knows nothing about vtrans's app.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export interface ObservedResponse {
  method: string;
  /** The request target: path and query. */
  url: string;
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  /** The body as received (for a stream cut short, what arrived). */
  body: Buffer;
  /** Whether the whole body arrived (a stream closed early, a cut answer: not complete). */
  complete: boolean;
}

/** A webhook delivery as a receiver got it. */
export interface ObservedWebhook {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface ResponseValidator {
  /** What about this response the document does not describe; empty when it all matches. */
  check(response: ObservedResponse): string[];
  /** What about this delivery the document's `webhooks` section does not describe. */
  checkWebhook(delivery: ObservedWebhook): string[];
}

export interface ValidatorOptions {
  /** Requests the document leaves out on purpose (not checked at all). */
  skip?: (method: string, path: string) => boolean;
  /** Headers any answer may carry that no operation describes (lower case). */
  genericHeaders?: readonly string[];
}

/** Transport and caching headers, described by HTTP itself rather than by an API. */
const TRANSPORT_HEADERS = [
  'date',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'content-type',
  'cache-control',
  'vary',
];

type Json = Record<string, unknown>;
interface Operation {
  operationId?: string;
  responses?: Record<string, ResponseObject>;
}
interface ResponseObject {
  headers?: Record<string, { required?: boolean; schema?: Json }>;
  content?: Record<string, { schema?: Json; 'x-itemSchema'?: Json }>;
}

const DOC_ID = 'openapi.json';
const escape = (text: string) => text.replace(/~/g, '~0').replace(/\//g, '~1');

/** `{ contentMediaType: application/json, contentSchema: S }` → `S`: event data is parsed first. */
function inlineJsonContent(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(inlineJsonContent);
  if (!value || typeof value !== 'object') return value;
  const object = value as Json;
  if (object.contentMediaType === 'application/json' && object.contentSchema) {
    return inlineJsonContent(object.contentSchema);
  }
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, inlineJsonContent(v)]));
}

interface PathMatcher {
  template: string;
  pattern: RegExp;
  /** Static paths win over templated ones (OpenAPI's rule). */
  literal: number;
}

function pathMatchers(paths: readonly string[]): PathMatcher[] {
  return paths
    .map((template) => ({
      template,
      pattern: new RegExp(
        `^${template
          .split('/')
          .map((part) =>
            /^\{[^}]+\}$/.test(part) ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
          )
          .join('/')}$`,
      ),
      literal: template.split('/').filter((p) => !p.startsWith('{')).length,
    }))
    .sort((a, b) => b.literal - a.literal);
}

/** Complete events of a text/event-stream body (comments and `retry:` blocks carry no event). */
export function parseEventStream(text: string): { id?: string; event: string; data: string }[] {
  const events: { id?: string; event: string; data: string }[] = [];
  const blocks = text.replace(/\r\n?/g, '\n').split('\n\n');
  blocks.pop(); // an unterminated block is not an event yet
  for (const block of blocks) {
    let id: string | undefined;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0)
      events.push({ ...(id === undefined ? {} : { id }), event, data: data.join('\n') });
  }
  return events;
}

/** A header value as its schema sees it (OpenAPI's `simple` style for scalars). */
function headerValue(raw: string, schema: Json | undefined): unknown {
  if ((schema?.type === 'integer' || schema?.type === 'number') && /^-?\d+(\.\d+)?$/.test(raw)) {
    return Number(raw);
  }
  return raw;
}

export function createResponseValidator(
  document: object,
  options: ValidatorOptions = {},
): ResponseValidator {
  const doc = inlineJsonContent(structuredClone(document)) as {
    paths?: Record<string, Record<string, Operation>>;
    webhooks?: Record<string, { post?: { parameters?: { $ref?: string }[] } }>;
    components?: { parameters?: Record<string, { name: string; required?: boolean }> };
  };
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  addFormats.default(ajv);
  ajv.addSchema(doc, DOC_ID);
  const compiled = new Map<string, ValidateFunction>();
  const validatorAt = (pointer: string) => {
    let fn = compiled.get(pointer);
    if (!fn) compiled.set(pointer, (fn = ajv.compile({ $ref: `${DOC_ID}#${pointer}` })));
    return fn;
  };
  const errorsOf = (fn: ValidateFunction) =>
    (fn.errors ?? [])
      .slice(0, 3)
      .map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`)
      .join('; ');
  const matchers = pathMatchers(Object.keys(doc.paths ?? {}));
  const generic = new Set([...TRANSPORT_HEADERS, ...(options.genericHeaders ?? [])]);

  const checkProblem = (where: string, response: ObservedResponse): string[] => {
    const type = String(response.headers['content-type'] ?? '');
    if (response.status < 400 || !type.startsWith('application/problem+json')) {
      return [
        `${where} answered ${response.status} (${type || 'no body'}), but the document describes no such operation`,
      ];
    }
    if (!response.complete || response.method.toUpperCase() === 'HEAD') return [];
    let body: unknown;
    try {
      body = JSON.parse(response.body.toString('utf8'));
    } catch {
      return [`${where}: the problem body is not JSON`];
    }
    const fn = validatorAt('/components/schemas/Problem');
    return fn(body) ? [] : [`${where}: the problem body ${errorsOf(fn)}`];
  };

  return {
    checkWebhook(delivery) {
      let body: { type?: unknown };
      try {
        body = JSON.parse(delivery.body) as { type?: unknown };
      } catch {
        return ['a webhook delivery whose body is not JSON'];
      }
      const type = String(body.type);
      const hook = doc.webhooks?.[type]?.post;
      if (!hook) return [`a webhook of type ${type}, which the document does not describe`];
      const problems: string[] = [];
      for (const { $ref = '' } of hook.parameters ?? []) {
        const key = $ref.split('/').pop() ?? '';
        const parameter = doc.components?.parameters?.[key];
        if (!parameter) continue;
        const value = delivery.headers[parameter.name.toLowerCase()];
        if (value === undefined) {
          if (parameter.required) problems.push(`webhook ${type}: ${parameter.name} is missing`);
          continue;
        }
        const fn = validatorAt(`/components/parameters/${escape(key)}/schema`);
        if (!fn(String(value))) problems.push(`webhook ${type}: ${parameter.name} ${errorsOf(fn)}`);
      }
      const fn = validatorAt(
        `/webhooks/${escape(type)}/post/requestBody/content/application~1json/schema`,
      );
      if (!fn(body)) problems.push(`webhook ${type}: the body ${errorsOf(fn)}`);
      return problems;
    },

    check(response) {
      const method = response.method.toUpperCase();
      const path = response.url.split('?', 1)[0] ?? '';
      if (method === 'OPTIONS' || options.skip?.(method, path)) return [];
      const where = `${method} ${path}`;
      // HEAD is GET without a body.
      const opMethod = method === 'HEAD' ? 'get' : method.toLowerCase();
      const template = matchers.find((m) => m.pattern.test(path))?.template;
      const operation = template === undefined ? undefined : doc.paths?.[template]?.[opMethod];
      if (!template || !operation) return checkProblem(where, response);
      const name = operation.operationId ?? `${opMethod} ${template}`;
      const status = String(response.status);
      const key = [status, `${status[0]}XX`, 'default'].find((k) => operation.responses?.[k]);
      if (!key)
        return [`${where} (${name}) answered ${status}, which the document does not describe`];
      const described = operation.responses?.[key] ?? {};
      const base = `/paths/${escape(template)}/${opMethod}/responses/${escape(key)}`;
      const problems: string[] = [];
      const at = `${where} (${name}) ${status}`;

      const documented = new Map(
        Object.entries(described.headers ?? {}).map(([n, h]) => [n.toLowerCase(), { n, h }]),
      );
      for (const [lower, { n, h }] of documented) {
        const raw = response.headers[lower];
        if (raw === undefined) {
          if (h.required) problems.push(`${at}: the required header ${n} is missing`);
          continue;
        }
        const text = Array.isArray(raw) ? raw.join(', ') : String(raw);
        const fn = validatorAt(`${base}/headers/${escape(n)}/schema`);
        if (!fn(headerValue(text, h.schema))) {
          problems.push(`${at}: header ${n}: ${JSON.stringify(text)} ${errorsOf(fn)}`);
        }
      }
      for (const [lower, value] of Object.entries(response.headers)) {
        if (value === undefined) continue;
        if (!documented.has(lower) && !generic.has(lower) && !lower.startsWith('access-control-')) {
          problems.push(`${at}: carries the header ${lower}, which the document does not describe`);
        }
      }

      const content = described.content;
      if (!content) {
        if (method !== 'HEAD' && response.body.length > 0)
          problems.push(`${at}: has a body, but the document describes none`);
        return problems;
      }
      const mediaType =
        String(response.headers['content-type'] ?? '')
          .split(';', 1)[0]
          ?.trim() ?? '';
      const media = content[mediaType];
      if (!media) {
        problems.push(
          `${at}: Content-Type ${mediaType || '(none)'} is not one of ${Object.keys(content).join(', ')}`,
        );
        return problems;
      }
      if (method === 'HEAD') return problems;
      const text = response.body.toString('utf8');
      const mediaPointer = `${base}/content/${escape(mediaType)}`;
      if (mediaType === 'application/json' || mediaType.endsWith('+json')) {
        if (!response.complete) return problems;
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          return [...problems, `${at}: the body is not JSON`];
        }
        const fn = validatorAt(`${mediaPointer}/schema`);
        if (!fn(value)) problems.push(`${at}: the body ${errorsOf(fn)}`);
      } else if (mediaType === 'text/event-stream' && media['x-itemSchema']) {
        const fn = validatorAt(`${mediaPointer}/x-itemSchema`);
        for (const event of parseEventStream(text)) {
          let data: unknown;
          try {
            data = JSON.parse(event.data);
          } catch {
            problems.push(`${at}: event ${event.event} has data that is not JSON`);
            continue;
          }
          if (!fn({ ...event, data })) {
            problems.push(`${at}: event ${event.event} (id ${event.id ?? 'none'}) ${errorsOf(fn)}`);
          }
        }
      }
      return problems;
    },
  };
}
