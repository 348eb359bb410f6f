/**
 * In-process servers for tests: `startTestServer()` listens on 127.0.0.1 port 0 with the memory
 * store and silent logs, and is closed automatically when the test (or, outside a test, the file)
 * ends. `createManualClock()` is a `Clock` a test moves by hand.
 */
import { afterAll, onTestFinished } from 'vitest';
import type { Clock } from '../../src/clock.js';
import { startServer, type RunningServer, type StartServerOptions } from '../../src/server.js';

const open = new Set<RunningServer>();

afterAll(async () => {
  await Promise.all([...open].map((srv) => srv.close()));
  open.clear();
});

/**
 * Starts a server for a test. Inside a test it closes when that test finishes; in `beforeAll` or at
 * file level it closes after the file (or earlier, if the test calls `close()` itself).
 */
export async function startTestServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const srv = await startServer({
    port: 0,
    host: '127.0.0.1',
    store: 'memory',
    logLevel: 'silent',
    ...options,
  });
  const close = srv.close.bind(srv);
  const tracked: RunningServer = {
    ...srv,
    close: async () => {
      open.delete(tracked);
      await close();
    },
  };
  open.add(tracked);
  try {
    onTestFinished(() => tracked.close());
  } catch {
    // Not inside a test (beforeAll / file level): the afterAll above closes it.
  }
  return tracked;
}

/** A clock that only moves when told. */
export interface ManualClock extends Clock {
  /** Sets the time (epoch ms). */
  set(ms: number): void;
  /** Moves the time forward by `ms`. */
  advance(ms: number): void;
}

/** A manual clock starting at `startMs` (default: a fixed, round instant). */
export function createManualClock(startMs = Date.UTC(2026, 0, 1)): ManualClock {
  let nowMs = startMs;
  return {
    now: () => nowMs,
    set: (ms) => {
      nowMs = ms;
    },
    advance: (ms) => {
      nowMs += ms;
    },
  };
}

/** Resolves after `ms` real milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
