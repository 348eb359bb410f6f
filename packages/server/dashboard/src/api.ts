/**
 * The few API calls the dashboard makes, with the API key as a Bearer token, a timeout on every
 * request, and problem+json turned into `ApiError`. A 401 also tells the page to ask for a key.
 */
import type {
  CreateJobInput,
  Delivery,
  Job,
  JobPage,
  JobStatus,
  Problem,
  Settings,
  Stats,
} from './types.js';

const REQUEST_TIMEOUT_MS = 15_000;

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
}

export interface ApiOptions {
  /** The dashboard's own URL: API paths resolve against it, so a path prefix keeps working. */
  base: URL;
  apiKey: () => string | null;
  onUnauthorized: () => void;
}

export class Api {
  constructor(private readonly options: ApiOptions) {}

  url(path: string): URL {
    return new URL(path, this.options.base);
  }

  /** Headers every request carries (the event stream uses them too). */
  authHeaders(): Record<string, string> {
    const key = this.options.apiKey();
    return key ? { authorization: `Bearer ${key}` } : {};
  }

  async request<T>(
    method: 'GET' | 'POST',
    path: string,
    init: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<T> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...this.authHeaders(),
      ...init.headers,
    };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.url(path), {
        method,
        headers,
        cache: 'no-store',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      });
    } catch (err) {
      throw new ApiError(0, {
        title: 'Network error',
        detail: `Cannot reach the server (${err instanceof Error ? err.message : String(err)})`,
      });
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      if (res.status === 401) this.options.onUnauthorized();
      const problem = (body && typeof body === 'object' ? body : {}) as Problem;
      throw new ApiError(res.status, { status: res.status, ...problem });
    }
    return body as T;
  }

  listJobs(status?: JobStatus, cursor?: string, limit = 50): Promise<JobPage> {
    const q = new URLSearchParams({ limit: String(limit) });
    if (status) q.set('status', status);
    if (cursor) q.set('cursor', cursor);
    return this.request('GET', `v1/jobs?${q.toString()}`);
  }

  createJob(input: CreateJobInput): Promise<Job> {
    // A fresh key per submission: a retried request cannot create a second job.
    return this.request('POST', 'v1/jobs', {
      body: input,
      headers: { 'idempotency-key': crypto.randomUUID() },
    });
  }

  cancelJob(id: string): Promise<Job> {
    return this.request('POST', `v1/jobs/${encodeURIComponent(id)}/cancel`);
  }

  settings(): Promise<Settings> {
    return this.request('GET', 'v1/settings');
  }

  stats(minutes: number): Promise<Stats> {
    return this.request('GET', `v1/stats?minutes=${minutes}`);
  }

  /** Webhook deliveries of a job; `[]` when the server has none or no such route. */
  async deliveries(id: string): Promise<Delivery[]> {
    try {
      const body = await this.request<unknown>(
        'GET',
        `v1/jobs/${encodeURIComponent(id)}/deliveries`,
      );
      const list = Array.isArray(body)
        ? body
        : body && typeof body === 'object' && Array.isArray((body as { data?: unknown }).data)
          ? (body as { data: unknown[] }).data
          : [];
      return list.filter(
        (d): d is Delivery =>
          !!d && typeof d === 'object' && typeof (d as Partial<Delivery>).id === 'string',
      );
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return [];
      throw err;
    }
  }
}
