/**
 * The first SIGINT or SIGTERM stops gracefully; a second signal exits at once, except the same
 * signal delivered twice within moments (npm start passes the terminal's Ctrl-C on to the server,
 * which got it from the terminal already). Signals are emitted on `process`, the clock is ours.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { onShutdownSignals, SIGNAL_ECHO_WINDOW_MS } from '../src/shutdown-signals.js';

let dispose: (() => void) | undefined;
afterEach(() => dispose?.());

function listen() {
  const calls: string[] = [];
  let nowMs = 1_000;
  dispose = onShutdownSignals(
    { stop: (s) => calls.push(`stop ${s}`), again: (s) => calls.push(`again ${s}`) },
    () => nowMs,
  );
  return {
    calls,
    emit: (signal: NodeJS.Signals, afterMs = 0) => {
      nowMs += afterMs;
      process.emit(signal, signal);
    },
  };
}

describe('onShutdownSignals', () => {
  it('stops on the first signal and takes its echo within the window for the same request', () => {
    const { calls, emit } = listen();
    emit('SIGINT');
    emit('SIGINT', SIGNAL_ECHO_WINDOW_MS - 1);
    expect(calls).toEqual(['stop SIGINT']);
  });

  it('exits at once on the same signal after the window', () => {
    const { calls, emit } = listen();
    emit('SIGINT');
    emit('SIGINT', SIGNAL_ECHO_WINDOW_MS);
    expect(calls).toEqual(['stop SIGINT', 'again SIGINT']);
  });

  it('exits at once on another signal, however soon', () => {
    const { calls, emit } = listen();
    emit('SIGTERM');
    emit('SIGINT', 1);
    expect(calls).toEqual(['stop SIGTERM', 'again SIGINT']);
  });

  it('stops listening when disposed', () => {
    const { calls, emit } = listen();
    dispose?.();
    dispose = undefined;
    const keep = () => undefined;
    process.on('SIGINT', keep); // so the emit below has a listener and is not the default action
    try {
      emit('SIGINT');
    } finally {
      process.off('SIGINT', keep);
    }
    expect(calls).toEqual([]);
  });
});
