/** What one event of each Server-Sent Events stream looks like, for the API description. */
import { JOB_STAGES, TERMINAL_STEP } from '../sim/job-model.js';
import { EVENT_TYPES } from '../store/types.js';

/** An event's `data`: a job, as JSON. */
const jobData = {
  description: 'The job as it was at that change',
  contentMediaType: 'application/json',
  contentSchema: { $ref: 'Job' },
};

const TERMINAL_EVENTS = ['job.completed', 'job.failed', 'job.canceled'];

/** `GET /v1/jobs/{id}/events`: ids are the job's lifecycle step. */
export const JobStreamEvent = {
  description: `One change of the job. \`id\` is its lifecycle step: 0–${TERMINAL_STEP - 1} while pending (the index of the stage: ${JOB_STAGES.join(', ')}), ${TERMINAL_STEP} for the terminal event, which is sent last.`,
  oneOf: [
    {
      type: 'object',
      required: ['id', 'event', 'data'],
      properties: {
        id: { type: 'string', pattern: `^[0-${TERMINAL_STEP - 1}]$` },
        event: { const: 'job.updated' },
        data: jobData,
      },
    },
    {
      type: 'object',
      required: ['id', 'event', 'data'],
      properties: {
        id: { const: String(TERMINAL_STEP) },
        event: { enum: TERMINAL_EVENTS },
        data: jobData,
      },
    },
  ],
};

/** `GET /v1/events`: ids come from the tenant's event log. */
export const TenantStreamEvent = {
  description:
    'One event of the event log. `id` is `<epochMs>-<seq>`, increasing in the order events were written.',
  type: 'object',
  required: ['id', 'event', 'data'],
  properties: {
    id: { type: 'string', pattern: '^\\d+-\\d+$' },
    event: { enum: [...EVENT_TYPES] },
    data: jobData,
  },
};
