import type { JobPage, JobStatus, Job } from '../types/job.js';

/** Options of `listJobs`. */
export interface ListJobsOptions {
  /** Only jobs with this status. */
  status?: JobStatus;
  /**
   * Page size (1..100).
   * @default 20
   */
  limit?: number;
  /** Aborts the listing. */
  signal?: AbortSignal;
}

/** Fetches one page given a cursor. */
export type FetchPage = (cursor: string | undefined) => Promise<JobPage>;

/**
 * Jobs newest first, fetched a page at a time as you iterate; `.pages()` iterates pages instead.
 *
 * @example
 * for await (const job of client.listJobs({ status: 'pending' })) console.log(job.id);
 */
export class JobList implements AsyncIterable<Job> {
  constructor(private readonly fetchPage: FetchPage) {}

  /** Iterates whole pages (`{ data, next_cursor }`). */
  async *pages(): AsyncGenerator<JobPage, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.fetchPage(cursor);
      yield page;
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
  }

  /** Iterates jobs, fetching the next page when the current one is used up. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Job, void, undefined> {
    for await (const page of this.pages()) yield* page.data;
  }
}
