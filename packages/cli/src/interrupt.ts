/** Ctrl-C aborts the running command's requests cleanly instead of killing the process mid-write. */
import { InterruptedError } from './exit-codes.js';

export interface Interrupt {
  readonly signal: AbortSignal;
  /** Stops listening for Ctrl-C. */
  dispose(): void;
}

/** Aborts `signal` with an `InterruptedError` on SIGINT or SIGTERM. */
export function listenForInterrupt(): Interrupt {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => controller.abort(new InterruptedError(name));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
