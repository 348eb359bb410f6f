/**
 * The client's behaviour, checked in whatever runtime runs this module (Node, Bun, Deno, or a
 * browser page through an esbuild bundle): every strategy of `waitForJob` and the shared waits,
 * `watchJob`, the errors a user meets, `AbortSignal`, and `verifyWebhook` on a delivery the real
 * server signed. It imports only `@vtrans/client` and web-platform globals, and reports instead
 * of throwing, so every runtime prints the same table.
 */
import {
  VtransClient,
  isApiError,
  isJobCanceledError,
  isJobFailedError,
  isNetworkError,
  isWaitTimeoutError,
  isWebhookVerificationError,
  NotFoundError,
  verifyWebhook,
  type CreateJobInput,
  type WaitOptions,
  type WaitStrategy,
  type WaitTransport,
} from '@vtrans/client';

export interface ClientChecksConfig {
  /** A running vtrans server (memory store; CORS open to the page in a browser). */
  baseUrl: string;
  /** An address where nothing listens. */
  closedUrl: string;
  /** A webhook delivery the server sent, and the secret it was signed with. */
  webhook: { body: string; headers: Record<string, string>; secret: string };
}

export interface CheckResult {
  name: string;
  ok: boolean;
  ms: number;
  detail: string;
}

const CHECK_TIMEOUT_MS = 20_000;
const SHORT_JOB: CreateJobInput = { simulate: { duration_ms: 300, outcome: 'completed' } };
const LONG_JOB: CreateJobInput = { simulate: { duration_ms: 30_000, outcome: 'completed' } };

class CheckFailed extends Error {}

function expectThat(condition: boolean, message: string): asserts condition {
  if (!condition) throw new CheckFailed(message);
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Waits for a fresh short job with `options`; returns the status and transports seen. */
async function waitWith(
  client: VtransClient,
  options: WaitOptions,
): Promise<{ status: string; transports: Set<WaitTransport> }> {
  const created = await client.createJob(SHORT_JOB);
  const transports = new Set<WaitTransport>();
  const job = await client.waitForJob(created.id, {
    timeoutMs: 10_000,
    ...options,
    onUpdate: (_job, info) => transports.add(info.transport),
  });
  return { status: job.status, transports };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new CheckFailed('resolved, expected a rejection');
}

function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}

type Check = [name: string, run: () => Promise<string>];

function checks(config: ClientChecksConfig): Check[] {
  const client = new VtransClient({ baseUrl: config.baseUrl });
  const strategy = (name: WaitStrategy, transport: WaitTransport): Check => [
    `waitForJob strategy ${name} completes over ${transport}`,
    async () => {
      const { status, transports } = await waitWith(client, { strategy: name });
      expectThat(status === 'completed', `status ${status}`);
      expectThat(transports.has(transport), `transports ${[...transports].join(',')}`);
      return [...transports].join(',');
    },
  ];
  const sharedWaits = (count: number, transport: WaitTransport): Check => [
    `${count} concurrent waits on one client share ${transport}`,
    async () => {
      const shared = new VtransClient({ baseUrl: config.baseUrl });
      // Every job exists before the first wait starts, so all the waits are open at once.
      const jobs = await Promise.all(
        Array.from({ length: count }, () =>
          shared.createJob({ simulate: { duration_ms: 3_000, outcome: 'completed' } }),
        ),
      );
      const seen = new Set<WaitTransport>();
      const done = await Promise.all(
        jobs.map((job) =>
          shared.waitForJob(job.id, {
            timeoutMs: 15_000,
            onUpdate: (_job, info) => seen.add(info.transport),
          }),
        ),
      );
      expectThat(
        done.every((job) => job.status === 'completed'),
        'not every job completed',
      );
      expectThat(seen.has(transport), `transports ${[...seen].join(',')}`);
      return [...seen].join(',');
    },
  ];
  const webhookError = async (secret: string, nowMs?: number) => {
    const { body, headers } = config.webhook;
    const error = await rejection(
      verifyWebhook(body, headers, secret, nowMs === undefined ? {} : { nowMs }),
    );
    expectThat(isWebhookVerificationError(error), describeError(error));
    return error.reason;
  };

  return [
    strategy('auto', 'long-poll'),
    strategy('long-poll', 'long-poll'),
    strategy('sse', 'sse'),
    strategy('poll', 'poll'),
    sharedWaits(3, 'batch-long-poll'),
    sharedWaits(101, 'events'),
    [
      'watchJob yields each change and ends completed',
      async () => {
        const created = await client.createJob(SHORT_JOB);
        const statuses: string[] = [];
        for await (const job of client.watchJob(created.id, { timeoutMs: 10_000 }))
          statuses.push(job.status);
        expectThat(statuses.at(-1) === 'completed', `statuses ${statuses.join(',')}`);
        return `${statuses.length} updates`;
      },
    ],
    [
      'a failed job rejects with JobFailedError',
      async () => {
        const created = await client.createJob({
          simulate: { duration_ms: 100, outcome: 'error' },
        });
        const error = await rejection(client.waitForJob(created.id, { timeoutMs: 10_000 }));
        expectThat(isJobFailedError(error), describeError(error));
        return error.job.status;
      },
    ],
    [
      'a job canceled while waited on rejects with JobCanceledError',
      async () => {
        const created = await client.createJob(LONG_JOB);
        const waiting = rejection(client.waitForJob(created.id, { timeoutMs: 10_000 }));
        await new Promise((r) => setTimeout(r, 100));
        await client.cancelJob(created.id);
        const error = await waiting;
        expectThat(isJobCanceledError(error), describeError(error));
        return error.job.status;
      },
    ],
    [
      'an unknown job id rejects with NotFoundError (404)',
      async () => {
        const error = await rejection(client.getJob('job_does_not_exist'));
        expectThat(error instanceof NotFoundError && error.status === 404, describeError(error));
        return error.code ?? '';
      },
    ],
    [
      'a bad request rejects with an ApiError 400 naming the field',
      async () => {
        const input = { target_language: 42 } as unknown as CreateJobInput;
        const error = await rejection(client.createJob(input));
        expectThat(isApiError(error) && error.status === 400, describeError(error));
        return error.code ?? '';
      },
    ],
    [
      'an unreachable server rejects with NetworkError',
      async () => {
        const offline = new VtransClient({ baseUrl: config.closedUrl, retry: { maxRetries: 0 } });
        const error = await rejection(offline.getJob('job_x'));
        expectThat(isNetworkError(error), describeError(error));
        return error.name;
      },
    ],
    [
      'a wait past its deadline rejects with WaitTimeoutError',
      async () => {
        const created = await client.createJob(LONG_JOB);
        const started = Date.now();
        const error = await rejection(client.waitForJob(created.id, { timeoutMs: 300 }));
        const ms = Date.now() - started;
        await client.cancelJob(created.id);
        expectThat(isWaitTimeoutError(error), describeError(error));
        expectThat(ms < 3_000, `took ${ms} ms`);
        return `${ms} ms`;
      },
    ],
    [
      'aborting the signal stops a wait at once',
      async () => {
        const created = await client.createJob(LONG_JOB);
        const controller = new AbortController();
        const waiting = rejection(
          client.waitForJob(created.id, { timeoutMs: 10_000, signal: controller.signal }),
        );
        await new Promise((r) => setTimeout(r, 200));
        const abortedAt = Date.now();
        controller.abort();
        const error = await waiting;
        const ms = Date.now() - abortedAt;
        await client.cancelJob(created.id);
        expectThat(error instanceof Error && error.name === 'AbortError', describeError(error));
        expectThat(ms < 1_000, `settled ${ms} ms after abort`);
        return `${ms} ms after abort`;
      },
    ],
    [
      "verifyWebhook accepts the server's signed delivery",
      async () => {
        const { body, headers, secret } = config.webhook;
        const event = await verifyWebhook(body, headers, secret, { toleranceMs: 3_600_000 });
        expectThat(event.type === 'job.completed', `type ${event.type}`);
        return event.type;
      },
    ],
    [
      'verifyWebhook rejects it under another secret',
      async () => {
        const reason = await webhookError(randomSecret());
        expectThat(reason === 'invalid_signature', reason);
        return reason;
      },
    ],
    [
      'verifyWebhook rejects it an hour later',
      async () => {
        const timestampS = Number(config.webhook.headers['webhook-timestamp']);
        const reason = await webhookError(config.webhook.secret, (timestampS + 3600) * 1000);
        expectThat(reason === 'timestamp_too_old', reason);
        return reason;
      },
    ],
  ];
}

/** Runs every check in turn, each bounded in time. */
export async function runClientChecks(config: ClientChecksConfig): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const [name, run] of checks(config)) {
    const started = Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new CheckFailed(`no answer within ${CHECK_TIMEOUT_MS} ms`)),
        CHECK_TIMEOUT_MS,
      );
    });
    try {
      const detail = await Promise.race([run(), timeout]);
      results.push({ name, ok: true, ms: Date.now() - started, detail });
    } catch (error) {
      results.push({ name, ok: false, ms: Date.now() - started, detail: describeError(error) });
    } finally {
      clearTimeout(timer);
    }
  }
  return results;
}
