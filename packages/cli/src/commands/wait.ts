/** `vtrans wait <id>`: waits until a job ends, progress on stderr, the job on stdout. */
import type { Command } from 'commander';
import type { Job } from '@vtrans/client';
import { createClient, resolveConnection } from '../client-options.js';
import { optionsOf, strategyOption, timeoutOption, type CommandKit } from '../command-kit.js';
import type { ExitCode } from '../exit-codes.js';
import { reportFailure } from '../failure.js';
import { DEFAULT_TIMEOUT_TEXT, follow, type WaitCommandOptions } from '../follow.js';
import { listenForInterrupt } from '../interrupt.js';
import type { Io } from '../io.js';
import { parseJobId } from '../parse.js';

export function registerWait(program: Command, kit: CommandKit): void {
  program
    .command('wait')
    .description('wait until a job ends: progress on stderr, the job on stdout')
    .argument('<id>', 'job id', parseJobId)
    .addOption(timeoutOption(DEFAULT_TIMEOUT_TEXT))
    .addOption(strategyOption('sse on a terminal, for live stages; else auto'))
    .addHelpText(
      'after',
      `
Exit code 0 when the job completed, 1 when it failed or was canceled, 3 when --timeout passed
first (the job keeps running; run the printed command to resume), 130 on Ctrl-C.

Examples:
  vtrans wait job_abcdefghijklmnopqrst
  vtrans wait job_abcdefghijklmnopqrst --timeout 30s --json > job.json`,
    )
    .action(
      kit.action(async (id: string, _options: unknown, command: Command) =>
        runWait(kit.io, id, optionsOf<WaitCommandOptions>(command)),
      ),
    );
}

export async function runWait(io: Io, id: string, options: WaitCommandOptions): Promise<ExitCode> {
  const connection = resolveConnection(options, io.env);
  const client = createClient(connection);
  const interrupt = listenForInterrupt();
  try {
    let first: Job;
    try {
      first = await client.getJob(id, { signal: interrupt.signal });
    } catch (error) {
      return reportFailure(io, error);
    }
    return await follow(io, client, connection, first, options, interrupt.signal);
  } finally {
    interrupt.dispose();
  }
}
