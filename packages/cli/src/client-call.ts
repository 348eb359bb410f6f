/** `get`, `cancel` and `list`: one request (or one per page), the answer on stdout. */
import type { Job, JobStatus } from '@vtrans/client';
import { createClient, resolveConnection, type GlobalOptions } from '../client-options.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { reportFailure } from '../failure.js';
import { formatJob, formatJobTable } from '../format.js';
import { listenForInterrupt } from '../interrupt.js';
import type { Io } from '../io.js';

/** Prints a job: its JSON with `--json`, a readable block otherwise. */
export function printJob(io: Io, job: Job, isJson: boolean): void {
  io.out(isJson ? JSON.stringify(job) : formatJob(job, io));
}

/** Runs one client call with Ctrl-C wired to its signal, mapping failures to exit codes. */
async function withClient(
  io: Io,
  options: GlobalOptions,
  run: (
    client: ReturnType<typeof createClient>,
    signal: AbortSignal,
    isJson: boolean,
  ) => Promise<ExitCode>,
): Promise<ExitCode> {
  const connection = resolveConnection(options, io.env);
  const client = createClient(connection);
  const interrupt = listenForInterrupt();
  try {
    return await run(client, interrupt.signal, connection.isJson);
  } catch (error) {
    return reportFailure(io, error, { url: connection.url });
  } finally {
    interrupt.dispose();
  }
}

export function runGet(io: Io, id: string, options: GlobalOptions): Promise<ExitCode> {
  return withClient(io, options, async (client, signal, isJson) => {
    printJob(io, await client.getJob(id, { signal }), isJson);
    return EXIT.ok;
  });
}

export function runCancel(io: Io, id: string, options: GlobalOptions): Promise<ExitCode> {
  return withClient(io, options, async (client, signal, isJson) => {
    printJob(io, await client.cancelJob(id, { signal }), isJson);
    return EXIT.ok;
  });
}

export interface ListCommandOptions extends GlobalOptions {
  status?: JobStatus;
  limit?: number;
  all?: boolean;
}

export function runList(io: Io, options: ListCommandOptions): Promise<ExitCode> {
  return withClient(io, options, async (client, signal, isJson) => {
    const jobs: Job[] = [];
    let nextCursor: string | null = null;
    const pages = client
      .listJobs({
        signal,
        ...(options.status === undefined ? {} : { status: options.status }),
        ...(options.limit === undefined ? {} : { limit: options.limit }),
      })
      .pages();
    for await (const page of pages) {
      jobs.push(...page.data);
      nextCursor = page.next_cursor;
      if (options.all !== true) break;
    }
    if (isJson) {
      io.out(JSON.stringify({ data: jobs, next_cursor: nextCursor }));
    } else if (jobs.length === 0) {
      io.err('no jobs');
    } else {
      io.out(formatJobTable(jobs, io));
    }
    if (!isJson && nextCursor !== null) io.err('more jobs exist: add --all to list every page');
    return EXIT.ok;
  });
}
