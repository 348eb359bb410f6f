/**
 * The processes a growth run starts, each on a free loopback port and stopped by pid: the built
 * server (`node packages/server/dist/main.js`, the product's own start path) for restarts, and the
 * host (`host.ts`) for what only the server's process can tell.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from '@vtrans/test-support';
import { ROOT, SERVER_MAIN } from '../capacity/processes.js';
import type { HostCommand, HostMessage } from './host.js';
import type { NoiseProbe } from './noise.js';
import {
  loopStallMs,
  proveLiveness,
  sleep,
  terminalEventsWritten,
  timedGet,
  type Summary,
} from './probes.js';

function collectStderr(child: ChildProcess): () => string {
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
  return () => err;
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export interface Host {
  url: string;
  pid: number;
  populateMs: number;
  startMs: number;
  ask<T extends HostMessage['type']>(
    command: HostCommand,
    reply: T,
  ): Promise<Extract<HostMessage, { type: T }>>;
  stop(): Promise<void>;
}

/** Starts `host.ts`; resolves once its server listens. */
export async function startHost(env: Record<string, string>): Promise<Host> {
  const port = await freePort();
  const child = fork(fileURLToPath(new URL('./host.ts', import.meta.url)), [], {
    cwd: ROOT,
    // The default heap limit, as `npm start` runs the server.
    execArgv: ['--expose-gc', '--import', 'tsx'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      GROWTH_PORT: String(port),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const stderr = collectStderr(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const next = <T extends HostMessage['type']>(type: T) =>
    new Promise<Extract<HostMessage, { type: T }>>((resolve, reject) => {
      const onMessage = (m: HostMessage) => {
        if (m.type === 'error') reject(new Error(`growth host: ${m.message}`));
        else if (m.type === type) resolve(m as Extract<HostMessage, { type: T }>);
        else return;
        child.off('message', onMessage);
      };
      child.on('message', onMessage);
      void exited.then((code) =>
        reject(new Error(`growth host exited (${code}) before "${type}": ${stderr()}`)),
      );
    });
  const ready = await next('ready').catch(async (err: unknown) => {
    await stopChild(child, exited);
    throw err;
  });
  return {
    url: ready.url,
    pid: child.pid ?? -1,
    populateMs: ready.populateMs,
    startMs: ready.startMs,
    ask: (command, reply) => {
      const answer = next(reply);
      child.send(command);
      return answer;
    },
    stop: async () => {
      if (child.connected) child.send({ cmd: 'stop' } satisfies HostCommand);
      await stopChild(child, exited);
    },
  };
}

export interface StartReport {
  /** False when the server process exited instead of becoming ready. */
  started: boolean;
  /** Its last words, when it did not start. */
  error?: string;
  /** From spawning to the first 200 from `/healthz` (listening), ms. */
  liveMs: number;
  /** From spawning to the first 200 from `/readyz`, ms. */
  readyMs: number;
  /** `/healthz` asked every 50 ms between the two. */
  healthzWhileCatchingUp: Summary & { failures: number };
  /** `/readyz` answers other than 200 seen before it said ready. */
  notReadyAnswers: number;
  /** Longest event-loop stall from listening to ready (the server's gauge), ms. */
  stallMs: number;
  /** The idle reference process's longest gap meanwhile (the machine's noise), ms. */
  noiseMs: number;
  /** Terminal events the server had written when it said ready. */
  terminalWrittenAtReady: number;
}

/** Starts the built server on a populated store and times its way to ready. */
export async function measureStart(
  env: Record<string, string>,
  readyTimeoutMs: number,
  noise: NoiseProbe,
): Promise<StartReport & { url: string; stop: () => Promise<void> }> {
  if (!existsSync(SERVER_MAIN)) throw new Error(`${SERVER_MAIN} is missing: run \`npm run build\``);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [SERVER_MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      VT_MAX_WAITERS: '100000',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr = collectStderr(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = () => stopChild(child, exited);
  const failed = (error: string): StartReport & { url: string; stop: () => Promise<void> } => ({
    url,
    stop,
    started: false,
    error,
    liveMs: NaN,
    readyMs: NaN,
    healthzWhileCatchingUp: { count: 0, p50Ms: 0, p99Ms: 0, maxMs: 0, failures: 0 },
    notReadyAnswers: 0,
    stallMs: NaN,
    noiseMs: NaN,
    terminalWrittenAtReady: NaN,
  });
  const deadline = spawnedAt + readyTimeoutMs;
  const alive = () => child.exitCode === null && child.signalCode === null;
  while ((await timedGet(`${url}/healthz`, 1000)).status !== 200) {
    if (!alive()) return failed(stderr().trim().split('\n').at(-1) ?? 'exited');
    if (performance.now() > deadline) {
      await stop();
      return failed('did not answer /healthz in time');
    }
    await sleep(20);
  }
  const liveMs = performance.now() - spawnedAt;
  await loopStallMs(url); // starts the server's stall monitor
  await noise.maxGapMs();
  const prober = proveLiveness(url);
  let notReadyAnswers = 0;
  for (;;) {
    const { status } = await timedGet(`${url}/readyz`, 60_000);
    if (status === 200) break;
    notReadyAnswers++;
    if (!alive() || performance.now() > deadline) {
      await prober.stop();
      await stop();
      return failed(alive() ? 'did not become ready in time' : stderr().trim());
    }
    await sleep(50);
  }
  const readyMs = performance.now() - spawnedAt;
  const healthzWhileCatchingUp = await prober.stop();
  return {
    url,
    stop,
    started: true,
    liveMs,
    readyMs,
    healthzWhileCatchingUp,
    notReadyAnswers,
    stallMs: await loopStallMs(url),
    noiseMs: await noise.maxGapMs(),
    terminalWrittenAtReady: await terminalEventsWritten(url),
  };
}
