/** `vtrans list`: jobs newest first, one page or (`--all`) every page. */
import { Option, type Command } from 'commander';
import { JOB_STATUSES, type Job, type JobStatus } from '@vtrans/client';
import type { GlobalOptions } from '../client-options.js';
import { withClient } from '../client-call.js';
import { optionsOf, type CommandKit } from '../command-kit.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { formatJobTable } from '../format.js';
import type { Io } from '../io.js';
import { integerIn } from '../parse.js';

const MAX_PAGE_SIZE = 100;

export interface ListCommandOptions extends GlobalOptions {
  status?: JobStatus;
  limit?: number;
  all?: boolean;
}

export function registerList(program: Command, kit: CommandKit): void {
  program
    .command('list')
    .description('list jobs, newest first')
    .addOption(new Option('--status <status>', 'only jobs with this status').choices(JOB_STATUSES))
    .addOption(
      new Option('--limit <n>', `jobs per page, 1..${MAX_PAGE_SIZE} (default 20)`).argParser(
        integerIn(1, MAX_PAGE_SIZE),
      ),
    )
    .option('--all', 'follow every page instead of showing the first')
    .addHelpText(
      'after',
      '\nExamples:\n  vtrans list\n  vtrans list --status error --limit 100 --all --json',
    )
    .action(
      kit.action(async (_options: unknown, command: Command) =>
        runList(kit.io, optionsOf<ListCommandOptions>(command)),
      ),
    );
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
