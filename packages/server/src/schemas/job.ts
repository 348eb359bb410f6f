/** The job as the API shows it, and the request bodies and queries that concern jobs. */
import { Type } from 'typebox';
import { MAX_SIMULATED_DURATION_MS } from '../config.js';
import { JOB_STAGES, JOB_STATUSES } from '../sim/job-model.js';
import { MAX_BATCH_READ_IDS } from '../store/types.js';
import { literalUnion } from './literal-union.js';

/**
 * Nullable fields as JSON Schema type arrays (`["string", "null"]`), not `anyOf` unions: the
 * response serializer compiles a type array to a plain branch, but checks every `anyOf` with a
 * validator on each answer (measured: 1.2 µs instead of 8.7 µs per job).
 */
const nullableString = (options: Record<string, unknown> = {}) =>
  Type.Unsafe<string | null>({ type: ['string', 'null'], ...options });

const nullableObject = <T extends Record<string, { type: string }>>(properties: T) =>
  Type.Unsafe<{ [K in keyof T]: string } | null>({
    type: ['object', 'null'],
    properties,
    required: Object.keys(properties),
  });

export const JobSchema = Type.Object(
  {
    id: Type.String({ examples: ['job_a2b3c4d5e6f7g2h3i4j5'] }),
    status: Type.Unsafe<(typeof JOB_STATUSES)[number]>({
      type: 'string',
      enum: [...JOB_STATUSES],
      description: '`pending`, then one of `completed`, `error` (failed) or `canceled`',
    }),
    progress: Type.Number({ minimum: 0, maximum: 1 }),
    stage: Type.Unsafe<(typeof JOB_STAGES)[number] | null>({
      type: ['string', 'null'],
      enum: [...JOB_STAGES, null],
      description: 'The stage a pending job is in, in this order; `null` once it ended',
    }),
    source_url: nullableString(),
    target_language: nullableString(),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({
      format: 'date-time',
      description: 'The last stage or status change',
    }),
    eta: nullableString({
      format: 'date-time',
      description: 'The expected finish (the mean duration) while pending; the real one may differ',
    }),
    completed_at: nullableString({
      format: 'date-time',
      description: 'When the job ended (completed, failed or canceled)',
    }),
    error: nullableObject({ code: { type: 'string' }, message: { type: 'string' } }),
    result: nullableObject({ video_url: { type: 'string' } }),
    version: Type.Integer({
      minimum: 1,
      description: '1 while pending, 2 after the status change; the ETag is `W/"<version>"`',
    }),
  },
  { $id: 'Job', description: 'A video-translation job', additionalProperties: false },
);

export const CALLBACK_EVENTS = [
  'job.updated',
  'job.completed',
  'job.failed',
  'job.canceled',
] as const;

export const CreateJobBody = Type.Object(
  {
    source_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    target_language: Type.Optional(
      Type.String({ pattern: '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$', maxLength: 35 }),
    ),
    callback_url: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2048,
        description:
          'Where to send signed webhooks (see `webhooks`); http(s), no private addresses',
      }),
    ),
    callback_events: Type.Optional(
      Type.Array(literalUnion(CALLBACK_EVENTS), {
        maxItems: 4,
        uniqueItems: true,
        description: 'The event types to send (default: the three terminal ones)',
      }),
    ),
    simulate: Type.Optional(
      Type.Object(
        {
          duration_ms: Type.Optional(
            Type.Integer({ minimum: 0, maximum: MAX_SIMULATED_DURATION_MS }),
          ),
          outcome: Type.Optional(Type.Union([Type.Literal('completed'), Type.Literal('error')])),
          jitter: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
        },
        {
          additionalProperties: false,
          description:
            'Ask the simulator for a duration (exact unless `jitter` is given), an outcome, or a jitter',
        },
      ),
    ),
  },
  { additionalProperties: false },
);

export const JobIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

/** `?wait=N`: like `Prefer: wait=N`, which it overrides. */
function waitSeconds() {
  return Type.Integer({
    minimum: 0,
    maximum: 3600,
    description: 'Seconds to hold until the state changes, like `Prefer: wait=N` (held at most 50)',
  });
}

/**
 * A page of jobs, or with `ids=` a batch. One object schema for both, not a union: the serializer
 * would check every answer against a union's first branch with a validator.
 */
export const JobList = Type.Object({
  data: Type.Array(Type.Ref('Job')),
  next_cursor: nullableString({
    description: 'The cursor of the next page; `null` on the last page, and always for a batch',
  }),
  not_found: Type.Optional(
    Type.Array(Type.String(), {
      description: 'With `ids=` only: the ids asked for that name no job of yours',
    }),
  ),
});

export const ListJobsQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Jobs per page' }),
    ),
    cursor: Type.Optional(
      Type.String({ maxLength: 512, description: 'The `next_cursor` of the previous page' }),
    ),
    status: Type.Optional(literalUnion(JOB_STATUSES, { description: 'Only jobs in this status' })),
    ids: Type.Optional(
      Type.String({
        maxLength: MAX_BATCH_READ_IDS * 130,
        description: `Up to ${MAX_BATCH_READ_IDS} comma-separated job ids: answer those (a batch, long-pollable as a set) instead of a page`,
      }),
    ),
    wait: Type.Optional(waitSeconds()),
  },
  { additionalProperties: false },
);

export const WaitQuery = Type.Object(
  { wait: Type.Optional(waitSeconds()) },
  { additionalProperties: false },
);
