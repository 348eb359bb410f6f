/**
 * A `fetch` that writes every request into the history: the exchange (method, path, interval,
 * status or failure) and every job its JSON answer carried, as observations — so long polls, batch
 * waits and plain reads made inside `@vtrans/client` count as sightings too.
 */
import type { Exchange, History, SeenStatus } from './history.js';

const STATUSES = new Set(['pending', 'completed', 'error', 'canceled']);

interface JobLike {
  id?: unknown;
  status?: unknown;
}

function jobsIn(body: unknown): JobLike[] {
  if (!body || typeof body !== 'object') return [];
  const data = (body as { data?: unknown }).data;
  if (Array.isArray(data)) return data as JobLike[];
  return 'id' in body && 'status' in body ? [body] : [];
}

function notFoundIn(body: unknown): string[] {
  const ids = body && typeof body === 'object' && (body as { not_found?: unknown }).not_found;
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
}

const ONE_JOB = /^\/v1\/jobs\/(job_\w+)$/;

/** Path and query of a request, for the record. */
function pathOf(input: string | URL | Request): string {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  return url.pathname + url.search;
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.name}: ${err.message}${cause}`;
  }
  return String(err);
}

export function recordingFetch(history: History, client: string, tenant: string): typeof fetch {
  return async (input, init) => {
    const method = init?.method ?? 'GET';
    const path = pathOf(input);
    const start = Date.now();
    let res: Response;
    try {
      res = await fetch(input, init);
    } catch (err) {
      history.exchanges.push({
        client,
        tenant,
        method,
        path,
        start,
        end: Date.now(),
        status: null,
        error: describe(err),
      });
      throw err;
    }
    const end = Date.now();
    const exchange: Exchange = { client, tenant, method, path, start, end, status: res.status };
    history.exchanges.push(exchange);
    const type = res.headers.get('content-type') ?? '';
    const missing =
      res.status === 404 && method === 'GET' && ONE_JOB.exec(path.split('?')[0]!)?.[1];
    if (missing) {
      history.observe({
        tenant,
        jobId: missing,
        status: 'missing',
        kind: 'read',
        start,
        end,
        source: 'GET /v1/jobs/{id}',
      });
    }
    if ((res.status !== 200 && res.status !== 201) || !type.startsWith('application/json')) {
      return res;
    }
    // The body is read here and handed on as a new answer (a copy made with clone() can crash
    // Node 20's fetch when the connection dies mid-body). A body cut short is no sighting, and
    // fails the request as it would have failed the client's read.
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      exchange.error = `body cut short: ${describe(err)}`;
      throw err;
    }
    const replayed = res.headers.get('idempotent-replayed') === 'true';
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    for (const id of notFoundIn(body)) {
      history.observe({
        tenant,
        jobId: id,
        status: 'missing',
        kind: 'read',
        start,
        end,
        source: 'GET /v1/jobs?ids=',
      });
    }
    for (const job of jobsIn(body)) {
      if (typeof job.id !== 'string' || typeof job.status !== 'string') continue;
      if (!STATUSES.has(job.status)) continue;
      history.observe({
        tenant,
        jobId: job.id,
        status: job.status as SeenStatus,
        // A replayed create answers the original 201: the job as it was then.
        kind: replayed ? 'record' : 'read',
        start,
        end,
        source: `${method} ${path.split('?')[0]!.replace(/job_\w+/, '{id}')}`,
      });
    }
    return new Response(text, {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
  };
}
