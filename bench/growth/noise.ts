/**
 * The machine's own noise: an idle Node process beside the server, ticking every millisecond,
 * reports the longest gap between its ticks. On a shared machine a process is descheduled now and
 * then; a server stall no longer than the idle process's is the machine's, not the server's.
 */
import { spawn } from 'node:child_process';

const PROBE = `
let last = performance.now();
let max = 0;
setInterval(() => {
  const now = performance.now();
  max = Math.max(max, now - last);
  last = now;
}, 1);
process.on('message', () => {
  process.send(Math.max(0, max - 1));
  max = 0;
});
`;

export interface NoiseProbe {
  /** The idle process's longest gap since the previous call, ms. */
  maxGapMs(): Promise<number>;
  stop(): void;
}

export function startNoiseProbe(): NoiseProbe {
  const child = spawn(process.execPath, ['-e', PROBE], {
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
  });
  return {
    maxGapMs: () =>
      new Promise((resolve) => {
        if (!child.connected) return resolve(NaN);
        child.once('message', (ms) => resolve(Math.round(Number(ms))));
        child.send('read');
      }),
    stop: () => {
      if (child.exitCode === null) child.kill();
    },
  };
}
