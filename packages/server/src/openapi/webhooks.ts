/**
 * The webhooks vtrans sends, for the API description's `webhooks` section (OpenAPI 3.1): one entry
 * per event type a job's `callback_events` can list, with the body and the Standard Webhooks
 * signature headers every delivery carries.
 */
import { CALLBACK_EVENTS } from '../schemas/job.js';
import { DEFAULT_CALLBACK_EVENTS } from '../webhooks/delivery-policy.js';

type Json = Record<string, unknown>;

const SUMMARIES: Record<(typeof CALLBACK_EVENTS)[number], string> = {
  'job.updated': 'A job reached its next stage',
  'job.completed': 'A job completed',
  'job.failed': 'A job failed',
  'job.canceled': 'A job was canceled',
};

/** The body of every delivery. */
export const WebhookEventSchema: Json = {
  type: 'object',
  description: 'The body of a webhook delivery',
  required: ['type', 'timestamp', 'data'],
  additionalProperties: false,
  properties: {
    type: { type: 'string', enum: [...CALLBACK_EVENTS] },
    timestamp: {
      type: 'string',
      format: 'date-time',
      description: 'When the change happened',
    },
    data: { $ref: '#/components/schemas/Job' },
  },
};

/** The signature headers, as reusable parameters. */
export const WebhookParameters: Record<string, Json> = {
  WebhookId: {
    name: 'webhook-id',
    in: 'header',
    required: true,
    description:
      '`msg_<job id>_<step>`: the same on every attempt of this event, so a receiver deduplicates on it',
    schema: { type: 'string', pattern: '^msg_.+_\\d+$' },
  },
  WebhookTimestamp: {
    name: 'webhook-timestamp',
    in: 'header',
    required: true,
    description: 'Unix seconds of this attempt; reject deliveries far from now (replays)',
    schema: { type: 'string', pattern: '^\\d+$' },
  },
  WebhookSignature: {
    name: 'webhook-signature',
    in: 'header',
    required: true,
    description:
      'Space-separated `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<raw body>">` entries, keyed by the base64-decoded part of the secret after `whsec_` (two during a secret rotation); verify one against your secret in constant time',
    schema: { type: 'string', pattern: '^v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)*$' },
  },
};

const ref = (name: string) => ({ $ref: `#/components/parameters/${name}` });

/** The `webhooks` section. */
export function webhooksSection(): Json {
  const out: Json = {};
  for (const type of CALLBACK_EVENTS) {
    const byDefault = DEFAULT_CALLBACK_EVENTS.includes(type);
    out[type] = {
      post: {
        operationId: `on${type
          .split('.')
          .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
          .join('')}`,
        summary: SUMMARIES[type],
        description: `Sent to the job's \`callback_url\` ${
          byDefault
            ? 'unless its `callback_events` leave this type out'
            : 'when its `callback_events` list this type'
        }. Delivery is at least once: retried on VT_WEBHOOK_RETRY_DELAYS until a 2xx or a 410.`,
        tags: ['webhooks'],
        security: [],
        parameters: [ref('WebhookId'), ref('WebhookTimestamp'), ref('WebhookSignature')],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                allOf: [
                  { $ref: '#/components/schemas/WebhookEvent' },
                  { type: 'object', properties: { type: { const: type } } },
                ],
              },
            },
          },
        },
        responses: {
          '2XX': { description: 'Received: this delivery is done' },
          '410': { description: 'Gone: no further attempts for this event' },
          default: {
            description:
              'Any other answer, or none within VT_WEBHOOK_TIMEOUT: the attempt is retried later',
          },
        },
      },
    };
  }
  return out;
}
