/** The job as the API shows it, and the request bodies and queries that concern jobs. */
import { Type } from 'typebox';
import { MAX_SIMULATED_DURATION_MS } from '../config.js';
import { JOB_STAGES, JOB_STATUSES } from '../sim/job-model.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

export const JobSchema = Type.Object(
  {
    id: Type.String({ examples: ['job_a2b3c4d5e6f7g2h3i4j5'] }),
    status: Type.Union(JOB_STATUSES.map((s) => Type.Literal(s))),
    progress: Type.Number({ minimum: 0, maximum: 1 }),
    stage: Nullable(Type.Union(JOB_STAGES.map((s) => Type.Literal(s)))),
    source_url: Nullable(Type.String()),
    target_language: Nullable(Type.String()),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
    eta: Nullable(Type.String({ format: 'date-time' })),
    completed_at: Nullable(Type.String({ format: 'date-time' })),
    error: Nullable(Type.Object({ code: Type.String(), message: Type.String() })),
    result: Nullable(Type.Object({ video_url: Type.String() })),
    version: Type.Integer({ minimum: 1 }),
  },
  { $id: 'Job', description: 'A video-translation job' },
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
    callback_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    callback_events: Type.Optional(
      Type.Array(Type.Union(CALLBACK_EVENTS.map((e) => Type.Literal(e))), {
        maxItems: 4,
        uniqueItems: true,
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
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const JobIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

export const JobPage = Type.Object({
  data: Type.Array(Type.Ref('Job')),
  next_cursor: Nullable(Type.String()),
});

export const JobBatch = Type.Object({
  data: Type.Array(Type.Ref('Job')),
  next_cursor: Type.Null(),
  not_found: Type.Array(Type.String()),
});

export const ListJobsQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
    status: Type.Optional(Type.Union(JOB_STATUSES.map((s) => Type.Literal(s)))),
    ids: Type.Optional(Type.String({ maxLength: 100 * 130 })),
    wait: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
  },
  { additionalProperties: false },
);

export const WaitQuery = Type.Object(
  { wait: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })) },
  { additionalProperties: false },
);
