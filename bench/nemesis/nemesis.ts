/**
 * The nemesis: a seeded schedule of faults, planned before the run (so it can be printed and
 * repeated) and played one fault at a time while the clients work. Each fault is undone by the
 * nemesis itself (a killed process restarted, a paused one continued); the schedule ends a few
 * seconds before the run does, so the last fault's recovery is seen too.
 *
 * - `instance-kill`: `kill -9` an instance, restart it after 0.5–3 s;
 * - `instance-pause`: `SIGSTOP` an instance for 1–5 s (a hung process), then `SIGCONT`;
 * - `redis-pause`: `SIGSTOP` Redis for 0.5–3 s, then `SIGCONT`;
 * - `redis-kill`: `kill -9` Redis, restart it on its append-only file after 0.2–2 s;
 * - `nginx-reload`: `nginx -s reload`.
 *
 * The SQLite deployment has one process and one fault: `kill -9` and restart.
 */
import type { Deployment } from './cluster.js';
import type { FaultKind, FaultRecord } from './history.js';
import { between, type Rng } from './rng.js';

export interface PlannedFault {
  /** Offset from the start of the run, ms. */
  atMs: number;
  kind: FaultKind;
  /** An instance's name, `redis` or `nginx`. */
  target: string;
  /** How long the process stays down or paused, ms (0 for a reload). */
  durationMs: number;
}

export interface ScheduleOptions {
  rng: Rng;
  deployment: Pick<Deployment, 'kind'> & { instances: readonly { name: string }[] };
  runMs: number;
  /** Quiet time between one fault's end and the next one, ms. */
  gapMs: [number, number];
  /** Faults stop this long before the run ends. */
  tailMs: number;
  maxFaults: number;
}

const REDIS_KINDS: readonly FaultKind[] = [
  'instance-kill',
  'instance-pause',
  'redis-pause',
  'redis-kill',
  'nginx-reload',
];

/** How long each kind keeps its target away, ms. */
const DURATIONS: Record<FaultKind, [number, number]> = {
  'instance-kill': [500, 3000],
  'instance-pause': [1000, 5000],
  'redis-pause': [500, 3000],
  'redis-kill': [200, 2000],
  'nginx-reload': [0, 0],
};

/** A fault of a process restart costs this much more than its planned downtime (start-up). */
const RESTART_ALLOWANCE_MS = 1500;

function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The whole schedule: kinds in seeded rounds (every kind once per round), targets and times. */
export function planSchedule(o: ScheduleOptions): PlannedFault[] {
  const kinds = o.deployment.kind === 'sqlite' ? (['instance-kill'] as const) : REDIS_KINDS;
  const plan: PlannedFault[] = [];
  let at = between(o.rng, o.gapMs[0], o.gapMs[1]);
  let round: FaultKind[] = [];
  while (plan.length < o.maxFaults) {
    if (round.length === 0) round = shuffled(o.rng, kinds);
    const kind = round.shift()!;
    const [min, max] = DURATIONS[kind];
    const durationMs = Math.round(between(o.rng, min, max));
    const cost =
      durationMs + (kind === 'instance-kill' || kind === 'redis-kill' ? RESTART_ALLOWANCE_MS : 0);
    if (at + cost > o.runMs - o.tailMs) break;
    const target = kind.startsWith('instance')
      ? o.deployment.instances[Math.floor(o.rng() * o.deployment.instances.length)]!.name
      : kind.startsWith('redis')
        ? 'redis'
        : 'nginx';
    plan.push({ atMs: Math.round(at), kind, target, durationMs });
    at += cost + between(o.rng, o.gapMs[0], o.gapMs[1]);
  }
  return plan;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Plays the schedule against the deployment from `startedAt`; resolves after the last fault. */
export async function playSchedule(
  plan: readonly PlannedFault[],
  deployment: Deployment,
  startedAt: number,
  faults: FaultRecord[],
  log: (line: string) => void = () => undefined,
): Promise<void> {
  for (const fault of plan) {
    await sleep(Math.max(0, startedAt + fault.atMs - Date.now()));
    const start = Date.now();
    const detail = await inject(fault, deployment);
    const record: FaultRecord = {
      kind: fault.kind,
      target: fault.target,
      start,
      end: Date.now(),
      detail,
    };
    faults.push(record);
    log(
      `  t=${((start - startedAt) / 1000).toFixed(1)}s ${fault.kind} ${fault.target}: ${detail} (back after ${record.end - start} ms)`,
    );
  }
}

async function inject(fault: PlannedFault, d: Deployment): Promise<string> {
  switch (fault.kind) {
    case 'instance-kill': {
      const instance = d.instances.find((i) => i.name === fault.target)!;
      const pid = instance.pid;
      await instance.kill();
      await sleep(fault.durationMs);
      await instance.restart();
      return `kill -9 ${pid}, restarted after ${fault.durationMs} ms as ${instance.pid}`;
    }
    case 'instance-pause': {
      const instance = d.instances.find((i) => i.name === fault.target)!;
      instance.pause();
      await sleep(fault.durationMs);
      instance.resume();
      return `SIGSTOP ${instance.pid} for ${fault.durationMs} ms`;
    }
    case 'redis-pause': {
      const redis = d.redis!;
      redis.pause();
      await sleep(fault.durationMs);
      redis.resume();
      return `SIGSTOP ${redis.pid} for ${fault.durationMs} ms`;
    }
    case 'redis-kill': {
      const redis = d.redis!;
      const pid = redis.pid;
      await redis.kill();
      await sleep(fault.durationMs);
      await redis.restart();
      return `kill -9 ${pid}, restarted on its AOF after ${fault.durationMs} ms as ${redis.pid}`;
    }
    case 'nginx-reload':
      d.nginx!.reload();
      return `nginx -s reload (master ${d.nginx!.pid})`;
  }
}
