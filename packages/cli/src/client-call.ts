/** One client call with Ctrl-C wired to its signal and its failure mapped to an exit code. */
import type { VtransClient } from '@vtrans/client';
import { createClient, resolveConnection, type GlobalOptions } from './client-options.js';
import type { ExitCode } from './exit-codes.js';
import { reportFailure } from './failure.js';
import { listenForInterrupt } from './interrupt.js';
import type { Io } from './io.js';

/** Runs `run` with a client made from the global options; any failure is reported on stderr. */
export async function withClient(
  io: Io,
  options: GlobalOptions,
  run: (client: VtransClient, signal: AbortSignal, isJson: boolean) => Promise<ExitCode>,
): Promise<ExitCode> {
  const connection = resolveConnection(options, io.env);
  const client = createClient(connection);
  const interrupt = listenForInterrupt();
  try {
    return await run(client, interrupt.signal, connection.isJson);
  } catch (error) {
    return reportFailure(io, error);
  } finally {
    interrupt.dispose();
  }
}
