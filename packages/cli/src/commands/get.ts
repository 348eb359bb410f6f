/** `vtrans get <id>`: one job, read once. */
import type { Command } from 'commander';
import type { GlobalOptions } from '../client-options.js';
import { withClient } from '../client-call.js';
import { optionsOf, type CommandKit } from '../command-kit.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { printJob } from '../format.js';
import type { Io } from '../io.js';
import { parseJobId } from '../parse.js';

export function registerGet(program: Command, kit: CommandKit): void {
  program
    .command('get')
    .description('show a job')
    .argument('<id>', 'job id', parseJobId)
    .addHelpText(
      'after',
      '\nExamples:\n  vtrans get job_abcdefghijklmnopqrst\n  vtrans get job_abcdefghijklmnopqrst --json | jq .status',
    )
    .action(
      kit.action(async (id: string, _options: unknown, command: Command) =>
        runGet(kit.io, id, optionsOf(command)),
      ),
    );
}

export function runGet(io: Io, id: string, options: GlobalOptions): Promise<ExitCode> {
  return withClient(io, options, async (client, signal, isJson) => {
    printJob(io, await client.getJob(id, { signal }), isJson);
    return EXIT.ok;
  });
}
