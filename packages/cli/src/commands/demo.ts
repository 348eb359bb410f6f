/**
 * `vtrans demo` (`npm run demo`): the original project's integration test, grown up. Starts a
 * server in this process, waits on its original `GET /status` and on a few jobs (one set to fail,
 * one canceled) with the client, prints a readable log, and shuts the server down gracefully.
 * Exit 0 only if every outcome was the expected one.
 */
import {
  isJobCanceledError,
  isJobFailedError,
  VtransClient,
  type CreateJobInput,
  type Job,
} from '@vtrans/client';
import type { RunningServer } from '@vtrans/server';
import type { Command } from 'commander';
import type { CommandKit } from '../command-kit.js';
import { CliError, EXIT, InterruptedError, type ExitCode } from '../exit-codes.js';
import { formatDuration } from '../format.js';
import { listenForInterrupt } from '../interrupt.js';
import type { Io } from '../io.js';

/** Short jobs so the demo takes a few seconds. */
const DEMO_SERVER = {
  port: 0,
  host: '127.0.0.1',
  store: 'memory',
  translationDelayMs: 1200,
  translationDelayJitter: 0.2,
  errorProbability: 0,
  logLevel: 'silent',
  shutdownGraceMs: 2000,
} as const;
/** No wait in the demo may take longer than this. */
const DEMO_WAIT_TIMEOUT_MS = 30_000;
const CANCEL_AFTER_MS = 300;
/** Long enough for a few polls of the original endpoint. */
const STATUS_JOB_DURATION_MS = 2000;

type Outcome = 'completed' | 'error' | 'canceled';

interface Plan {
  label: string;
  input: CreateJobInput;
  expected: Outcome;
  /** Cancel the job this long after creating it. */
  cancelAfterMs?: number;
}

const PLANS: Plan[] = [
  {
    label: 'es',
    input: {
      target_language: 'es',
      source_url: 'https://example.com/keynote.mp4',
      simulate: { duration_ms: 900 },
    },
    expected: 'completed',
  },
  {
    label: 'fr',
    input: {
      target_language: 'fr',
      source_url: 'https://example.com/keynote.mp4',
      simulate: { duration_ms: 600, outcome: 'error' },
    },
    expected: 'error',
  },
  {
    label: 'de',
    input: { target_language: 'de', source_url: 'https://example.com/keynote.mp4' },
    expected: 'completed',
  },
  {
    label: 'ja',
    input: {
      target_language: 'ja',
      source_url: 'https://example.com/keynote.mp4',
      simulate: { duration_ms: 5000 },
    },
    expected: 'canceled',
    cancelAfterMs: CANCEL_AFTER_MS,
  },
];

/** Every job the demo creates: one for the original `GET /status`, then one per plan. */
export const DEMO_JOB_COUNT = PLANS.length + 1;

const countOf = (outcome: Outcome): number =>
  PLANS.filter((plan) => plan.expected === outcome).length;

export function registerDemo(program: Command, kit: CommandKit): void {
  program
    .command('demo')
    .description(
      `the integration demo: an in-process server, ${DEMO_JOB_COUNT} jobs (${countOf('error')} set to fail, ${countOf('canceled')} canceled), a readable log`,
    )
    .addHelpText(
      'after',
      `
Starts a server in this process and creates ${DEMO_JOB_COUNT} jobs: one it follows through the original
GET /status, then ${PLANS.length} through /v1/jobs (${countOf('completed')} complete, ${countOf('error')} set to fail, ${countOf('canceled')} canceled), waited on
together with the client; then it shuts the server down gracefully. Exit code 0 only if every
outcome was the expected one. --url is not used.

Examples:
  vtrans demo
  npm run demo`,
    )
    .action(kit.action(async () => runDemo(kit.io)));
}

/** Counts requests and narrates the original endpoint's polls as the original test did. */
function narratingFetch(log: (line: string) => void): { fetch: typeof fetch; count: () => number } {
  let requests = 0;
  let statusPolls = 0;
  const wrapped: typeof fetch = async (input, init) => {
    requests += 1;
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.pathname !== '/status') return fetch(input, init);
    statusPolls += 1;
    log(`Polling status... Attempt ${statusPolls}`);
    const response = await fetch(input, init);
    const body = (await response
      .clone()
      .json()
      .catch(() => ({}))) as { result?: unknown };
    log(`Status: ${typeof body.result === 'string' ? body.result : `HTTP ${response.status}`}`);
    return response;
  };
  return { fetch: wrapped, count: () => requests };
}

export async function runDemo(io: Io): Promise<ExitCode> {
  const log = (line: string) => io.out(line);
  const interrupt = listenForInterrupt();
  log('Starting integration demo...');
  log('Server is starting...');
  let server: RunningServer;
  try {
    const { startServer } = await import('@vtrans/server');
    server = await startServer(DEMO_SERVER);
  } catch (error) {
    interrupt.dispose();
    throw new CliError(
      `demo: could not start the server: ${error instanceof Error ? error.message : String(error)}`,
      EXIT.api,
    );
  }
  log(
    `Server started on ${server.url} (memory store, jobs of about ${formatDuration(DEMO_SERVER.translationDelayMs)}). Initializing client...`,
  );
  const counter = narratingFetch(log);
  const client = new VtransClient({ baseUrl: server.url, fetch: counter.fetch });
  let surprises = 0;
  try {
    surprises += await demoStatus(client, log, interrupt.signal);
    surprises += await demoJobs(client, log, interrupt.signal);
    log('');
    log(
      `${DEMO_JOB_COUNT - surprises}/${DEMO_JOB_COUNT} outcomes as expected, ${counter.count()} requests in all.`,
    );
  } catch (error) {
    // Whatever went wrong, the server still shuts down gracefully.
    log(error instanceof InterruptedError ? 'Interrupted.' : 'The demo failed.');
    await stop(server, log);
    if (error instanceof InterruptedError) return EXIT.interrupted;
    throw error;
  } finally {
    interrupt.dispose();
  }
  await stop(server, log);
  if (surprises > 0)
    throw new CliError(`demo: ${surprises} outcome(s) were not the expected ones`, EXIT.jobFailed);
  return EXIT.ok;
}

async function stop(server: RunningServer, log: (line: string) => void): Promise<void> {
  log('Stopping server...');
  log('Shutting down server...');
  await server.close();
  log('Server shut down gracefully.');
}

/**
 * The original project's flow: poll `GET /status` until the job is done. A fresh job
 * (`?job_id=`) rather than the server's default one, which may have finished while the server
 * was starting.
 */
async function demoStatus(
  client: VtransClient,
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<number> {
  log('');
  const job = await client.createJob(
    {
      target_language: 'es',
      simulate: { duration_ms: STATUS_JOB_DURATION_MS, outcome: 'completed' },
    },
    { signal },
  );
  log(`1. The original endpoint: GET /status?job_id=${job.id}`);
  const status = await client.waitForStatus({
    jobId: job.id,
    signal,
    timeoutMs: DEMO_WAIT_TIMEOUT_MS,
  });
  if (status.result === 'completed') {
    log('Client Success: Translation completed!');
    return 0;
  }
  log(`Client Error: status ${status.result}, expected completed`);
  return 1;
}

/** Jobs through `/v1/jobs`, waited on concurrently by one client (they share a batch long poll). */
async function demoJobs(
  client: VtransClient,
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<number> {
  log('');
  log(`2. ${PLANS.length} jobs through /v1/jobs, waited on together with waitForJob`);
  const jobs: Job[] = [];
  for (const plan of PLANS) {
    const job = await client.createJob(plan.input, { signal });
    jobs.push(job);
    log(`[${plan.label} ${job.id}] created (expecting ${plan.expected})`);
  }
  const results = await Promise.all(
    PLANS.map((plan, i) => demoOneJob(client, plan, jobs[i] as Job, log, signal)),
  );
  return results.filter((isExpected) => !isExpected).length;
}

async function demoOneJob(
  client: VtransClient,
  plan: Plan,
  created: Job,
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<boolean> {
  const tag = `[${plan.label} ${created.id}]`;
  let canceling: Promise<unknown> | undefined;
  if (plan.cancelAfterMs !== undefined) {
    canceling = new Promise((resolve) => setTimeout(resolve, plan.cancelAfterMs))
      .then(async () => {
        log(`${tag} canceling...`);
        await client.cancelJob(created.id, { signal });
      })
      .catch((error: unknown) => {
        log(`${tag} cancel failed: ${error instanceof Error ? error.message : String(error)}`);
      });
  }
  let outcome: Outcome;
  let detail = '';
  let lastState: string | undefined;
  try {
    const job = await client.waitForJob(created.id, {
      signal,
      timeoutMs: DEMO_WAIT_TIMEOUT_MS,
      onUpdate: (job, info) => {
        const state = `${job.status}${job.stage === null ? '' : ` (${job.stage})`}`;
        // Progress alone moves on every answer; the log shows status and stage changes.
        if (state === lastState) return;
        lastState = state;
        log(`${tag} Attempt ${info.attempt}: Status: ${state} via ${info.transport}`);
      },
    });
    outcome = 'completed';
    detail = `Client Success: Translation completed in ${took(job)}: ${job.result?.video_url ?? '(no result)'}`;
  } catch (error) {
    if (isJobFailedError(error)) {
      outcome = 'error';
      detail = `Client Error: Translation failed: ${error.job.error?.code ?? 'error'} (${error.job.error?.message ?? 'no details'})`;
    } else if (isJobCanceledError(error)) {
      outcome = 'canceled';
      detail = 'Translation canceled';
    } else {
      throw error;
    }
  }
  await canceling;
  const isExpected = outcome === plan.expected;
  const verdict = isExpected ? ' (as expected)' : ` -- NOT AS EXPECTED (wanted ${plan.expected})`;
  log(`${tag} ${detail}${verdict}`);
  return isExpected;
}

function took(job: Job): string {
  const ms = Date.parse(job.completed_at ?? '') - Date.parse(job.created_at);
  return Number.isFinite(ms) ? formatDuration(ms) : '?';
}
