/**
 * What the job routes do, apart from HTTP: draw and store a job, read one as a tenant sees it,
 * cancel. Every read of a job goes through `materialize` with the context's clock.
 */
import { createHash } from 'node:crypto';
import type { AppContext } from './context.js';
import { ProblemError } from './errors.js';
import { eventForStep } from './sim/job-events.js';
import { materialize, TERMINAL_STEP, type Job, type JobRecord } from './sim/job-model.js';
import { drawJob, type NewJobInput } from './sim/simulator.js';
import type { Static } from 'typebox';
import type { CreateJobBody } from './schemas/job.js';

export type CreateJobRequest = Static<typeof CreateJobBody>;

export type CreateOutcome = { job: Job; replayed: boolean };

/** Canonical JSON (sorted keys) so the same body always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function fingerprint(body: unknown): string {
  return createHash('sha256')
    .update(canonical(body ?? {}))
    .digest('base64url');
}

export function toNewJobInput(tenant: string, body: CreateJobRequest): NewJobInput {
  const input: NewJobInput = {
    tenant,
    sourceUrl: body.source_url ?? null,
    targetLanguage: body.target_language ?? null,
    callbackUrl: body.callback_url ?? null,
    callbackEvents: body.callback_events ? [...body.callback_events] : null,
  };
  if (body.simulate) {
    input.simulate = {};
    if (body.simulate.duration_ms !== undefined)
      input.simulate.duration_ms = body.simulate.duration_ms;
    if (body.simulate.outcome !== undefined) input.simulate.outcome = body.simulate.outcome;
    if (body.simulate.jitter !== undefined) input.simulate.jitter = body.simulate.jitter;
  }
  return input;
}

export async function createJob(
  ctx: AppContext,
  tenant: string,
  body: CreateJobRequest,
  idempotencyKey: string | undefined,
): Promise<CreateOutcome> {
  const now = ctx.clock.now();
  const record = drawJob(toNewJobInput(tenant, body), ctx.config, ctx.random, now);
  const idem =
    idempotencyKey === undefined
      ? undefined
      : { key: idempotencyKey, fingerprint: fingerprint(body) };
  const result = await ctx.store.createJob(record, eventForStep(record, 0, now), idem);
  if (result.kind === 'conflict') {
    throw new ProblemError(
      'idempotency_key_reused',
      'This Idempotency-Key was already used with a different request body; use a new key for a new job',
    );
  }
  if (result.kind === 'replayed') return { job: result.response, replayed: true };
  return { job: materialize(result.record, now), replayed: false };
}

/** The record if it exists and belongs to the tenant; otherwise a 404 that reveals nothing. */
export async function getOwnRecord(
  ctx: AppContext,
  tenant: string,
  id: string,
): Promise<JobRecord> {
  const record = await ctx.store.getJob(id);
  if (!record || record.tenant !== tenant) {
    throw new ProblemError('job_not_found', `No job with id ${JSON.stringify(id)}`);
  }
  return record;
}

/**
 * The job as the tenant sees it, evaluated at the instant the read was asked for (or `notBefore`,
 * a notice's instant, if later) — never at the instant the answer came back: a record read before
 * a cancel and evaluated after the finish instant would say "completed" for a canceled job.
 */
export async function readOwnJob(
  ctx: AppContext,
  tenant: string,
  id: string,
  notBefore = 0,
): Promise<Job> {
  const askedAt = ctx.clock.now();
  const record = await getOwnRecord(ctx, tenant, id);
  return materialize(record, Math.max(askedAt, notBefore));
}

export async function cancelJob(ctx: AppContext, tenant: string, id: string): Promise<Job> {
  await getOwnRecord(ctx, tenant, id);
  const now = ctx.clock.now();
  const result = await ctx.store.cancelJob(id, now, (canceled) =>
    eventForStep(canceled, TERMINAL_STEP, now),
  );
  switch (result.kind) {
    case 'missing':
      throw new ProblemError('job_not_found', `No job with id ${JSON.stringify(id)}`);
    case 'finished': {
      // A shared store may judge it finished after `now` (the cancel waited): say how it ended.
      const job = materialize(result.record, Math.max(now, result.record.finishAt));
      throw new ProblemError(
        'job_not_cancelable',
        `Job ${id} already ended with status ${job.status}`,
      );
    }
    case 'already-canceled':
    case 'canceled':
      return materialize(result.record, now);
  }
}
