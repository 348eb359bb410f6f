/**
 * What someone else's tooling does with the API description: a client generated from it
 * (`openapi-typescript` types in `schema.d.ts`, `openapi-fetch` calls) creates a job, waits for it
 * with conditional long polls, and finds it in the list — every path, parameter, header and body
 * typed by the document alone. `openapi-client.test.ts` type-checks this file and runs it.
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './schema.js';

type Job = components['schemas']['Job'];

export interface RoundTrip {
  created: Job;
  /** Status of each answer to the long polls, in order (200 or 304). */
  polls: number[];
  finished: Job;
  listed: Job[];
}

export async function roundTrip(baseUrl: string, apiKey: string): Promise<RoundTrip> {
  const client = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${apiKey}` } });

  const created = await client.POST('/v1/jobs', {
    params: { header: { 'idempotency-key': `round-trip-${Date.now()}` } },
    body: { target_language: 'fr', simulate: { duration_ms: 400, outcome: 'completed' } },
  });
  if (!created.data) throw new Error(`create answered ${created.response.status}`);
  const job: Job = created.data;

  // Wait: hold until the job changes, sending back the ETag of the state already seen.
  const polls: number[] = [];
  let finished = job;
  let etag = created.response.headers.get('etag') ?? undefined;
  while (finished.status === 'pending') {
    const answer = await client.GET('/v1/jobs/{id}', {
      params: {
        path: { id: job.id },
        header: { prefer: 'wait=5', ...(etag === undefined ? {} : { 'if-none-match': etag }) },
      },
    });
    polls.push(answer.response.status);
    if (answer.error)
      throw new Error(`poll answered ${answer.error.status}: ${answer.error.detail}`);
    // A 304 has no body: the job is as it was.
    if (answer.data) finished = answer.data;
    etag = answer.response.headers.get('etag') ?? etag;
  }

  const page = await client.GET('/v1/jobs', {
    params: { query: { limit: 5, status: 'completed' } },
  });
  if (!page.data) throw new Error(`list answered ${page.response.status}`);
  // A page and a batch share one schema; only a page has no `not_found`.
  const listed = [...page.data.data];

  // The generated types know the document: a value of the wrong type does not compile.
  const mistake = () =>
    // @ts-expect-error `duration_ms` is an integer, not text
    client.POST('/v1/jobs', { body: { simulate: { duration_ms: '400ms' } } });
  void mistake;

  return { created: job, polls, finished, listed };
}
