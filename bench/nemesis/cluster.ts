/**
 * The deployments under test, as real processes on loopback, each stopped by pid:
 *
 * - `redis`: the shipped multi-instance deployment — one `redis-server` (append-only, fsync always),
 *   three instances of `node packages/server/dist/main.js` on it, and Debian's `nginx` in front with
 *   `deploy/nginx.conf` (see nginx-config.ts for the one substitution);
 * - `sqlite`: the single-process default — one instance on a SQLite file, no load balancer.
 *
 * Both have two API keys (tenants `acme` and `globex`) and let webhooks reach loopback receivers.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Nginx } from './nginx-process.js';
import {
  freePort,
  type RedisServer,
  type ServerProcess,
  spawnServer,
  startRedis,
  tempDir,
} from '@vtrans/test-support';

export type DeploymentKind = 'redis' | 'sqlite';

export interface Tenant {
  name: string;
  apiKey: string;
}

export const TENANTS: readonly Tenant[] = [
  { name: 'acme', apiKey: 'sk_nemesis_acme_0123456789' },
  { name: 'globex', apiKey: 'sk_nemesis_globex_0123456789' },
];

/** Webhook retries are quick so a run sees several; the receiver fails some attempts on purpose. */
const WEBHOOK_RETRY_DELAYS = '200ms,500ms,1s,2s,3s';
/**
 * A lease is 2 × this + 5 s (9 s here). Instance pauses stay shorter than a lease: a process paused
 * longer is, for the others, a crashed one.
 */
export const WEBHOOK_TIMEOUT_MS = 2000;

export type InstanceState = 'up' | 'killed' | 'paused';

export class Instance {
  state: InstanceState = 'up';
  #proc: ServerProcess;
  readonly #env: Record<string, string>;

  constructor(
    readonly name: string,
    readonly port: number,
    proc: ServerProcess,
    env: Record<string, string>,
  ) {
    this.#proc = proc;
    this.#env = env;
  }

  static async start(name: string, env: Record<string, string>): Promise<Instance> {
    const port = await freePort();
    const full = { ...env, PORT: String(port) };
    return new Instance(name, port, await spawnServer({ env: full, readyTimeoutMs: 30_000 }), full);
  }

  get pid(): number {
    return this.#proc.pid;
  }

  get url(): string {
    return this.#proc.url;
  }

  stderr(): string {
    return this.#proc.stderr();
  }

  /** `kill -9`: no shutdown, held requests and streams cut, leases left to expire. */
  async kill(): Promise<void> {
    if (this.state === 'paused') process.kill(this.pid, 'SIGCONT');
    await this.#proc.kill('SIGKILL');
    this.state = 'killed';
  }

  /** Starts the process again on the same port and store (after `kill`). */
  async restart(): Promise<void> {
    this.#proc = await spawnServer({ env: this.#env, readyTimeoutMs: 30_000 });
    this.state = 'up';
  }

  /** `SIGSTOP`: a hung process — its sockets stay open, nothing answers. */
  pause(): void {
    process.kill(this.pid, 'SIGSTOP');
    this.state = 'paused';
  }

  resume(): void {
    process.kill(this.pid, 'SIGCONT');
    this.state = 'up';
  }

  async stop(): Promise<void> {
    if (this.state === 'paused') this.resume();
    if (this.state !== 'killed') await this.#proc.kill('SIGTERM', 5000);
    this.state = 'killed';
  }
}

/** The shared redis-server, with the faults the nemesis injects into it. */
export class RedisProcess {
  state: 'up' | 'killed' | 'paused' = 'up';

  constructor(readonly server: RedisServer) {}

  get pid(): number {
    return this.server.pid;
  }

  /** `SIGSTOP`: connections stay open, commands queue unanswered. */
  pause(): void {
    process.kill(this.pid, 'SIGSTOP');
    this.state = 'paused';
  }

  resume(): void {
    process.kill(this.pid, 'SIGCONT');
    this.state = 'up';
  }

  /** `kill -9`: only what the append-only file holds survives. */
  async kill(): Promise<void> {
    if (this.state === 'paused') this.resume();
    await this.server.kill();
    this.state = 'killed';
  }

  /** Starts again on the same port and directory, loading the append-only file. */
  async restart(): Promise<void> {
    await this.server.restart();
    this.state = 'up';
  }

  async heal(): Promise<void> {
    if (this.state === 'paused') this.resume();
    if (this.state === 'killed') await this.restart();
  }
}

export interface Deployment {
  kind: DeploymentKind;
  /** Where clients send everything: nginx, or the single instance. */
  baseUrl: string;
  instances: Instance[];
  redis: RedisProcess | undefined;
  nginx: Nginx | undefined;
  /** Brings every process back (resumes the paused, restarts the killed). */
  heal(): Promise<void>;
  stop(): Promise<void>;
}

function serverEnv(store: string, receiverHost: string): Record<string, string> {
  return {
    VT_STORE: store,
    VT_API_KEYS: TENANTS.map((t) => `${t.apiKey}:${t.name}:pro`).join(','),
    VT_RATE_LIMITS: 'pro=1000000/min',
    VT_TRUST_PROXY: 'true',
    VT_WEBHOOK_ALLOW_HOSTS: receiverHost,
    VT_WEBHOOK_RETRY_DELAYS: WEBHOOK_RETRY_DELAYS,
    VT_WEBHOOK_TIMEOUT: `${WEBHOOK_TIMEOUT_MS}ms`,
    VT_MAX_WAITERS_PER_KEY: '5000',
    LOG_LEVEL: 'warn',
  };
}

export async function startDeployment(
  kind: DeploymentKind,
  options: { instances?: number; receiverHost?: string } = {},
): Promise<Deployment> {
  const receiverHost = options.receiverHost ?? '127.0.0.1';
  const started: { stop(): Promise<void> }[] = [];
  try {
    if (kind === 'sqlite') {
      const dir = tempDir('vtrans-nemesis-sqlite-');
      const instance = await Instance.start(
        'vtrans',
        serverEnv(`sqlite:${join(dir, 'vtrans.db')}`, receiverHost),
      );
      started.push(instance);
      return {
        kind,
        baseUrl: instance.url,
        instances: [instance],
        redis: undefined,
        nginx: undefined,
        heal: () => healInstances([instance]),
        stop: async () => {
          await instance.stop();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    const redis = await startRedis();
    started.push(redis);
    const names = ['vtrans-a', 'vtrans-b', 'vtrans-c'].slice(0, options.instances ?? 3);
    const instances: Instance[] = [];
    for (const name of names) {
      const instance = await Instance.start(name, serverEnv(redis.url, receiverHost));
      instances.push(instance);
      started.push(instance);
    }
    const nginx = await Nginx.start(instances.map((i) => i.port));
    started.push(nginx);
    const control = new RedisProcess(redis);
    return {
      kind,
      baseUrl: nginx.url,
      instances,
      redis: control,
      nginx,
      heal: async () => {
        await control.heal();
        await healInstances(instances);
      },
      stop: async () => {
        await control.heal();
        await nginx.stop();
        await Promise.all(instances.map((i) => i.stop()));
        await redis.stop();
      },
    };
  } catch (err) {
    await Promise.allSettled(started.reverse().map((s) => s.stop()));
    throw err;
  }
}

async function healInstances(instances: readonly Instance[]): Promise<void> {
  for (const instance of instances) {
    if (instance.state === 'paused') instance.resume();
    if (instance.state === 'killed') await instance.restart();
  }
}
