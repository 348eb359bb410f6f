/**
 * The client calls of a run, each writing itself into the history: what was asked, when it was
 * asked and answered, and what came back (or how it failed) — plus, where the answer shows a job's
 * state, a sighting of it. The workload decides what to call; these record it.
 */
import {
  isApiError,
  isJobCanceledError,
  isJobFailedError,
  isVtransError,
  type CreateJobInput,
  type VtransClient,
  type WaitStrategy,
} from '@vtrans/client';
import type { CreatePurpose, CreateResult, History, SeenStatus, WaitOutcome } from './history.js';

/** Who calls: a tenant's client, recording into the run's history. */
export interface Caller {
  history: History;
  tenant: string;
  client: VtransClient;
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}

function failure(err: unknown): CreateResult {
  return {
    ok: false,
    error: errorName(err),
    ...(isApiError(err) ? { status: err.status, code: err.code ?? '' } : {}),
  };
}

/** `createJob` with `key`; the job's id, or undefined when the call failed. */
export async function recordedCreate(
  c: Caller,
  create: { key: string; body: CreateJobInput; bodyTag: string; purpose: CreatePurpose },
): Promise<string | undefined> {
  const start = Date.now();
  let result: CreateResult;
  try {
    const job = await c.client.createJob(create.body, { idempotencyKey: create.key });
    result = { ok: true, jobId: job.id, replayed: create.purpose === 'replay' };
  } catch (err) {
    result = failure(err);
  }
  const { key, bodyTag, purpose } = create;
  c.history.op({
    kind: 'create',
    tenant: c.tenant,
    key,
    bodyTag,
    purpose,
    start,
    end: Date.now(),
    result,
  });
  return result.ok ? result.jobId : undefined;
}

/** `waitForJob` until the job ends, the deadline, or `signal` (then recorded as unsettled). */
export async function recordedWait(
  c: Caller,
  jobId: string,
  options: { strategy: WaitStrategy; timeoutMs: number; signal: AbortSignal },
): Promise<void> {
  const { strategy, signal } = options;
  const start = Date.now();
  const seen = (status: string) =>
    c.history.observe({
      tenant: c.tenant,
      jobId,
      status: status as SeenStatus,
      kind: 'read',
      start,
      end: Date.now(),
      source: `waitForJob ${strategy}`,
    });
  let outcome: WaitOutcome;
  try {
    const job = await c.client.waitForJob(jobId, options);
    seen(job.status);
    outcome = { kind: 'completed', finalStatus: job.status };
  } catch (err) {
    if (signal.aborted && err === signal.reason) {
      outcome = { kind: 'unsettled' };
    } else if (isJobFailedError(err)) {
      seen(err.job.status);
      outcome = { kind: 'error', finalStatus: err.job.status };
    } else if (isJobCanceledError(err)) {
      seen(err.job.status);
      outcome = { kind: 'canceled', finalStatus: err.job.status };
    } else if (isVtransError(err)) {
      outcome = { kind: 'typed-error', name: err.name, message: err.message };
    } else {
      outcome = { kind: 'untyped-error', message: String(err) };
    }
  }
  c.history.op({
    kind: 'wait',
    tenant: c.tenant,
    jobId,
    strategy,
    start,
    end: Date.now(),
    outcome,
  });
}

/** `cancelJob`: `canceled`, `conflict` (409: it had ended), or the error's class. */
export async function recordedCancel(c: Caller, jobId: string): Promise<void> {
  const start = Date.now();
  let outcome: string;
  let status: SeenStatus | undefined;
  try {
    const job = await c.client.cancelJob(jobId);
    outcome = job.status === 'canceled' ? 'canceled' : `answered ${job.status}`;
    status = job.status as SeenStatus;
  } catch (err) {
    outcome = isApiError(err) && err.status === 409 ? 'conflict' : errorName(err);
    // A 409 says the job ended otherwise than canceled: completed or failed.
    if (outcome === 'conflict') status = 'finished';
  }
  const end = Date.now();
  if (status !== undefined) {
    const source = outcome === 'conflict' ? 'cancelJob 409' : 'cancelJob';
    c.history.observe({ tenant: c.tenant, jobId, status, kind: 'read', start, end, source });
  }
  c.history.op({ kind: 'cancel', tenant: c.tenant, jobId, start, end, outcome });
}

/** Another tenant's job asked for (`getJob` or `cancelJob`): only a 404 is right. */
export async function recordedProbe(
  c: Caller,
  probe: { jobId: string; owner: string; action: 'get' | 'cancel' },
): Promise<void> {
  const start = Date.now();
  let outcome: string;
  try {
    await (probe.action === 'get' ? c.client.getJob(probe.jobId) : c.client.cancelJob(probe.jobId));
    outcome = 'leaked';
  } catch (err) {
    outcome = isApiError(err) && err.status === 404 ? 'not-found' : errorName(err);
  }
  c.history.op({ kind: 'probe', tenant: c.tenant, ...probe, start, end: Date.now(), outcome });
}
