/**
 * The final state, read back through the front door once every fault is undone and every job has
 * ended: each tenant's listing, each acknowledged job read one by one, each tenant's whole event
 * log (`/v1/events` from `Last-Event-ID: 0-0`), and the webhook deliveries with their attempts. For
 * the Redis deployment also the ids of each tenant's Redis Stream (the event log's documented home),
 * to check the API's replay against it.
 */
import { spawnSync } from 'node:child_process';
import { isApiError, VtransClient, type Job } from '@vtrans/client';
import { SseParser } from '../../packages/client/src/internal/sse-parser.js';
import { TENANTS } from './cluster.js';

export interface LoggedEvent {
  id: string;
  type: string;
  jobId: string;
  status: string;
  stage: string | null;
  /** The job's `updated_at` in the event. */
  at: number;
}

export interface DeliveryAttemptView {
  attempt: number;
  at: string;
  status_code: number | null;
  error: string | null;
}

export interface DeliveryView {
  id: string;
  event_type: string;
  state: string;
  attempts: number;
  history: DeliveryAttemptView[];
}

export interface Truth {
  /** Every job of each tenant's listing, by id. */
  listed: Map<string, { tenant: string; job: Job }>;
  /** Each acknowledged job read by its owner at the end: the job, or `missing` (404). */
  final: Map<string, Job | 'missing'>;
  /** Each tenant's event log, oldest first. */
  events: Map<string, LoggedEvent[]>;
  /** Each tenant's Redis Stream ids (Redis deployment only). */
  streamIds: Map<string, string[]> | undefined;
  /** Deliveries of each job that has any. */
  deliveries: Map<string, DeliveryView[]>;
}

/**
 * A tenant's whole event log through the API: `/v1/events` from `Last-Event-ID: 0-0`, read until
 * it has been quiet for `quietMs`; a stream that breaks is resumed after the last id received.
 */
async function readAllEvents(
  baseUrl: string,
  apiKey: string,
  quietMs: number,
): Promise<LoggedEvent[]> {
  const events: LoggedEvent[] = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    const isQuiet = await readEventsOnce(baseUrl, apiKey, quietMs, events);
    if (isQuiet) return events;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('/v1/events kept failing while the log was read back');
}

/** One connection: appends what it reads; true when it ended by being quiet, false when it broke. */
async function readEventsOnce(
  baseUrl: string,
  apiKey: string,
  quietMs: number,
  events: LoggedEvent[],
): Promise<boolean> {
  const controller = new AbortController();
  let quiet = setTimeout(() => controller.abort(), quietMs * 4);
  try {
    const res = await fetch(`${baseUrl}/v1/events`, {
      headers: { authorization: `Bearer ${apiKey}`, 'last-event-id': events.at(-1)?.id ?? '0-0' },
      signal: controller.signal,
    });
    if (res.status !== 200 || !res.body) {
      await res.arrayBuffer().catch(() => undefined);
      return false;
    }
    const decoder = new TextDecoder();
    const parser = new SseParser({
      onEvent: (e) => {
        if (!e.hasId || e.data === '') return;
        const job = JSON.parse(e.data) as Job;
        events.push({
          id: e.lastEventId,
          type: e.type,
          jobId: job.id,
          status: job.status,
          stage: job.stage,
          at: Date.parse(job.updated_at),
        });
      },
    });
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      parser.push(decoder.decode(chunk, { stream: true }));
      clearTimeout(quiet);
      quiet = setTimeout(() => controller.abort(), quietMs);
    }
    return false;
  } catch {
    return controller.signal.aborted;
  } finally {
    clearTimeout(quiet);
  }
}

/** Ids of a Redis Stream, read with `redis-cli` (`--raw`: id, field, value per entry). */
function streamIds(redisPort: number, key: string): string[] {
  const r = spawnSync('redis-cli', ['-p', String(redisPort), '--raw', 'XRANGE', key, '-', '+'], {
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`redis-cli XRANGE ${key} failed: ${r.stderr}`);
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  const ids: string[] = [];
  for (let i = 0; i + 2 < lines.length; i += 3) ids.push(lines[i]!);
  return ids;
}

export async function readTruth(options: {
  baseUrl: string;
  ownedJobs: Map<string, string>;
  redisPort: number | undefined;
}): Promise<Truth> {
  const clients = new Map(
    TENANTS.map((t) => [
      t.name,
      new VtransClient({ baseUrl: options.baseUrl, apiKey: t.apiKey, retry: { maxRetries: 6 } }),
    ]),
  );
  const listed = new Map<string, { tenant: string; job: Job }>();
  for (const [tenant, client] of clients) {
    for await (const job of client.listJobs({ limit: 100 })) listed.set(job.id, { tenant, job });
  }
  const final = new Map<string, Job | 'missing'>();
  const owned = [...options.ownedJobs];
  for (let i = 0; i < owned.length; i += 20) {
    await Promise.all(
      owned.slice(i, i + 20).map(async ([id, tenant]) => {
        try {
          final.set(id, await clients.get(tenant)!.getJob(id));
        } catch (err) {
          if (isApiError(err) && err.status === 404) final.set(id, 'missing');
          else throw err;
        }
      }),
    );
  }
  const events = new Map<string, LoggedEvent[]>();
  for (const t of TENANTS) events.set(t.name, await readAllEvents(options.baseUrl, t.apiKey, 1500));
  const deliveries = new Map<string, DeliveryView[]>();
  const ids = [...listed.keys()];
  for (let i = 0; i < ids.length; i += 20) {
    await Promise.all(
      ids.slice(i, i + 20).map(async (id) => {
        const { tenant } = listed.get(id)!;
        const apiKey = TENANTS.find((t) => t.name === tenant)!.apiKey;
        const res = await fetch(`${options.baseUrl}/v1/jobs/${id}/deliveries`, {
          headers: { authorization: `Bearer ${apiKey}` },
        });
        if (res.status !== 200) throw new Error(`deliveries of ${id}: ${res.status}`);
        const body = (await res.json()) as { data: DeliveryView[] };
        if (body.data.length > 0) deliveries.set(id, body.data);
      }),
    );
  }
  const redisPort = options.redisPort;
  const streams =
    redisPort === undefined
      ? undefined
      : new Map(TENANTS.map((t) => [t.name, streamIds(redisPort, `vt:events:${t.name}`)]));
  return { listed, final, events, streamIds: streams, deliveries };
}

/** Whether every delivery has stopped changing (none pending), read through the API. */
export async function pendingDeliveries(baseUrl: string, jobIds: Map<string, string>) {
  let pending = 0;
  const ids = [...jobIds];
  for (let i = 0; i < ids.length; i += 20) {
    const counts = await Promise.all(
      ids.slice(i, i + 20).map(async ([id, tenant]) => {
        const apiKey = TENANTS.find((t) => t.name === tenant)!.apiKey;
        const res = await fetch(`${baseUrl}/v1/jobs/${id}/deliveries`, {
          headers: { authorization: `Bearer ${apiKey}` },
        });
        if (res.status !== 200) return 1;
        const body = (await res.json()) as { data: DeliveryView[] };
        return body.data.filter((d) => d.state === 'pending').length;
      }),
    );
    pending += counts.reduce((a, b) => a + b, 0);
  }
  return pending;
}
