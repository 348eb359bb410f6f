/**
 * SIGINT and SIGTERM ask a running server to shut down gracefully; a second one asks it to exit at
 * once. Shared by the server process (`main.ts`) and `vtrans serve`.
 */

/**
 * A repeat of the first signal this soon is that signal delivered twice, not a second request:
 * `npm start` passes the terminal's Ctrl-C on to the server, which the terminal has signalled
 * already (its whole foreground process group gets it).
 */
export const SIGNAL_ECHO_WINDOW_MS = 500;

export interface ShutdownSignalHandlers {
  /** The first SIGINT or SIGTERM: shut down gracefully. */
  stop(signal: NodeJS.Signals): void;
  /** Another signal while stopping (not the echo of the first): exit now. */
  again(signal: NodeJS.Signals): void;
}

/** Listens for SIGINT and SIGTERM until the returned function is called. */
export function onShutdownSignals(
  handlers: ShutdownSignalHandlers,
  nowMs: () => number = Date.now,
): () => void {
  let first: { signal: NodeJS.Signals; atMs: number } | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (first === undefined) {
      first = { signal, atMs: nowMs() };
      handlers.stop(signal);
    } else if (signal !== first.signal || nowMs() - first.atMs >= SIGNAL_ECHO_WINDOW_MS) {
      handlers.again(signal);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
