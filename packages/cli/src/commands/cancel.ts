/** `vtrans cancel <id>`: cancels a pending job. */
import type { Command } from 'commander';
import type { GlobalOptions } from '../client-options.js';
import { withClient } from '../client-call.js';
import { optionsOf, type CommandKit } from '../command-kit.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { printJob } from '../format.js';
import type { Io } from '../io.js';
import { parseJobId } from '../parse.js';

export function registerCancel(program: Command, kit: CommandKit): void {
  program
    .command('cancel')
    .description('cancel a pending job (a finished one is an API error, exit 4)')
    .argument('<id>', 'job id', parseJobId)
    .addHelpText('after', '\nExamples:\n  vtrans cancel job_abcdefghijklmnopqrst')
    .action(
      kit.action(async (id: string, _options: unknown, command: Command) =>
        runCancel(kit.io, id, optionsOf(command)),
      ),
    );
}

export function runCancel(io: Io, id: string, options: GlobalOptions): Promise<ExitCode> {
  return withClient(io, options, async (client, signal, isJson) => {
    printJob(io, await client.cancelJob(id, { signal }), isJson);
    return EXIT.ok;
  });
}
