/**
 * The clients of a run, per tenant, all through the deployment's front door with `@vtrans/client`:
 *
 * - creators: `createJob` with an `Idempotency-Key` (the key is in the job's `source_url`, so the
 *   final listing shows which key made which job); a create that failed is sent again later with
 *   the same key; some answered keys are sent again (the same job must come back) and a few with
 *   another body (422 must come back); each job is waited on (`auto` — a single or batch long
 *   poll —, `sse`, `long-poll`), some are canceled at a random moment around their end, some call
 *   the webhook receiver;
 * - a burst now and then: more than 100 waits on one client, so it waits over `/v1/events`;
 * - readers: single and batch reads, listings, and probes of the other tenant's jobs (reader-loop.ts);
 * - `/v1/events` readers (events-reader.ts).
 */
import { VtransClient, type CreateJobInput, type WaitStrategy } from '@vtrans/client';
import { setMaxListeners } from 'node:events';
import { TENANTS, type Tenant } from './cluster.js';
import { EventsReader } from './events-reader.js';
import type { CreatePurpose, History } from './history.js';
import type { WebhookReceiver } from './receiver.js';
import { recordedCancel, recordedCreate, recordedWait, type Caller } from './recorded-calls.js';
import { runReaderLoop } from './reader-loop.js';
import { recordingFetch } from './recording-fetch.js';
import { between, pick, type Rng } from './rng.js';

export interface WorkloadOptions {
  baseUrl: string;
  history: History;
  rng: Rng;
  receiver: WebhookReceiver;
  /** Create loops per tenant. */
  creatorsPerTenant: number;
  /** A burst of this many waits on one client every `burstEveryMs` (none when undefined). */
  burst: { everyMs: number; size: number } | undefined;
  /** Every wait's deadline (past the end of the run: a wait must end by the job's fate). */
  waitTimeoutMs: number;
}

interface KeyState {
  body: CreateJobInput;
  bodyTag: string;
  jobId: string | undefined;
  retryAt: number;
  /** Part of a burst: waited on by the burst client, nothing else done to it. */
  bulk: boolean;
}

interface TenantClients {
  tenant: Tenant;
  ops: VtransClient;
  waits: VtransClient;
  bulk: VtransClient;
  jobs: string[];
  keys: Map<string, KeyState>;
  unresolved: Set<string>;
}

/** One signal shared by every wait of a run (so more than the default ten listeners). */
function abortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Workload {
  readonly #o: WorkloadOptions;
  readonly #tenants: TenantClients[];
  readonly #readers: EventsReader[] = [];
  readonly #loops: Promise<void>[] = [];
  readonly #waits = new Set<Promise<void>>();
  readonly #later = new Set<NodeJS.Timeout>();
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #abortWaits = abortController();
  #stopping = false;
  #seq = 0;

  constructor(options: WorkloadOptions) {
    this.#o = options;
    this.#tenants = TENANTS.map((tenant) => {
      const client = (role: string) =>
        new VtransClient({
          baseUrl: options.baseUrl,
          apiKey: tenant.apiKey,
          fetch: recordingFetch(options.history, `${tenant.name}/${role}`, tenant.name),
        });
      return {
        tenant,
        ops: client('ops'),
        waits: client('waits'),
        bulk: client('bulk'),
        jobs: [],
        keys: new Map(),
        unresolved: new Set(),
      };
    });
  }

  start(): void {
    const o = this.#o;
    for (const t of this.#tenants) {
      for (let i = 0; i < o.creatorsPerTenant; i++) this.#loops.push(this.#creator(t));
      const other = this.#tenants.find((x) => x !== t)!;
      this.#loops.push(
        runReaderLoop({
          baseUrl: o.baseUrl,
          history: o.history,
          rng: o.rng,
          tenant: t.tenant,
          client: t.ops,
          ownJobs: t.jobs,
          other: { name: other.tenant.name, jobs: other.jobs },
          isStopping: () => this.#stopping,
        }),
      );
      if (o.burst) this.#loops.push(this.#bursts(t, o.burst));
      const readers = [
        { name: `${t.tenant.name}/events-live`, from: undefined },
        { name: `${t.tenant.name}/events-replay`, from: '0-0' },
      ];
      for (const r of readers) {
        const reader = new EventsReader({
          baseUrl: o.baseUrl,
          apiKey: t.tenant.apiKey,
          tenant: t.tenant.name,
          name: r.name,
          history: o.history,
          rng: o.rng,
          ...(r.from ? { from: r.from } : {}),
          sessionMs: [3000, 12_000],
        });
        reader.start();
        this.#readers.push(reader);
      }
    }
  }

  /** Stops new work; then every create that never got an answer is sent again with its key. */
  async stopCreating(resolveDeadlineMs: number): Promise<void> {
    this.#stopping = true;
    for (const timer of this.#later) clearTimeout(timer);
    this.#later.clear();
    await Promise.all(this.#loops);
    await Promise.allSettled([...this.#inflight]);
    const deadline = Date.now() + resolveDeadlineMs;
    for (const t of this.#tenants) {
      for (const key of [...t.unresolved]) {
        while (t.unresolved.has(key) && Date.now() < deadline) {
          if (!(await this.#create(t, key, 'retry'))) await sleep(500);
        }
      }
    }
  }

  /** Waits for every wait to end (those still running after `timeoutMs` are recorded unsettled). */
  async settleWaits(timeoutMs: number): Promise<void> {
    const all = Promise.allSettled([...this.#waits]);
    const timer = setTimeout(() => this.#abortWaits.abort(new Error('run over')), timeoutMs);
    await all;
    clearTimeout(timer);
  }

  async stopReaders(): Promise<void> {
    await Promise.all(this.#readers.map((r) => r.stop()));
  }

  /** Keys whose create never got an answer, even after the run. */
  unresolvedKeys(): string[] {
    return this.#tenants.flatMap((t) => [...t.unresolved].map((k) => `${t.tenant.name}:${k}`));
  }

  #later_(ms: number, fn: () => Promise<unknown>): void {
    const timer = setTimeout(() => {
      this.#later.delete(timer);
      const p = fn().finally(() => this.#inflight.delete(p));
      this.#inflight.add(p);
    }, ms);
    this.#later.add(timer);
  }

  #newBody(t: TenantClients, key: string): CreateJobInput {
    const rng = this.#o.rng;
    const body: CreateJobInput & Record<string, unknown> = {
      source_url: `https://example.com/nemesis/${key}.mp4`,
      target_language: pick(rng, [
        ['es', 1],
        ['de', 1],
        ['ja', 1],
      ]),
      simulate: {
        duration_ms: Math.round(between(rng, 300, 4000)),
        outcome: rng() < 0.8 ? 'completed' : 'error',
      },
    };
    if (rng() < 0.4) {
      body.callback_url = this.#o.receiver.urlFor(t.tenant.name);
      if (rng() < 0.3) {
        body.callback_events = ['job.updated', 'job.completed', 'job.failed', 'job.canceled'];
      }
    }
    return body;
  }

  /** Sends a create for `key`; true when it got a job. */
  async #create(t: TenantClients, key: string, purpose: CreatePurpose): Promise<boolean> {
    const state = t.keys.get(key)!;
    const create = { key, body: state.body, bodyTag: state.bodyTag, purpose };
    const jobId = await recordedCreate(this.#caller(t, t.ops), create);
    if (jobId === undefined) {
      if (state.jobId === undefined) {
        t.unresolved.add(key);
        state.retryAt = Date.now() + between(this.#o.rng, 500, 3000);
      }
      return false;
    }
    if (state.jobId === undefined) {
      state.jobId = jobId;
      if (state.body.callback_url) {
        this.#o.history.callbacks.set(
          jobId,
          state.body.callback_events ?? ['job.completed', 'job.failed', 'job.canceled'],
        );
      }
      t.unresolved.delete(key);
      t.jobs.push(jobId);
      this.#afterCreate(t, key, jobId, state);
    }
    return true;
  }

  #caller(t: TenantClients, client: VtransClient): Caller {
    return { history: this.#o.history, tenant: t.tenant.name, client };
  }

  /** What follows a new job: its wait, maybe a cancel, maybe a replay or a reuse of its key. */
  #afterCreate(t: TenantClients, key: string, jobId: string, state: KeyState): void {
    const rng = this.#o.rng;
    if (state.bulk) {
      this.#wait(t, t.bulk, jobId, 'auto');
      return;
    }
    const strategy = pick<WaitStrategy>(rng, [
      ['auto', 7],
      ['sse', 1.5],
      ['long-poll', 1.5],
    ]);
    this.#wait(t, t.waits, jobId, strategy);
    const durationMs = state.body.simulate?.duration_ms ?? 1000;
    if (rng() < 0.25)
      this.#later_(between(rng, 0, durationMs * 1.3), () =>
        recordedCancel(this.#caller(t, t.ops), jobId),
      );
    if (rng() < 0.1) this.#later_(between(rng, 0, 3000), () => this.#create(t, key, 'replay'));
    if (rng() < 0.03) this.#later_(between(rng, 0, 3000), () => this.#reuse(t, key));
  }

  #wait(t: TenantClients, client: VtransClient, jobId: string, strategy: WaitStrategy): void {
    const p = recordedWait(this.#caller(t, client), jobId, {
      strategy,
      timeoutMs: this.#o.waitTimeoutMs,
      signal: this.#abortWaits.signal,
    }).finally(() => this.#waits.delete(p));
    this.#waits.add(p);
  }

  /** The same key with another body: the server must refuse (422), never make or return a job. */
  async #reuse(t: TenantClients, key: string): Promise<void> {
    const state = t.keys.get(key)!;
    await recordedCreate(this.#caller(t, t.ops), {
      key,
      body: { ...state.body, target_language: 'fr' },
      bodyTag: `${state.bodyTag}+reuse`,
      purpose: 'reuse',
    });
  }

  async #creator(t: TenantClients): Promise<void> {
    const rng = this.#o.rng;
    while (!this.#stopping) {
      const due = [...t.unresolved].find((k) => t.keys.get(k)!.retryAt <= Date.now());
      if (due !== undefined) {
        t.keys.get(due)!.retryAt = Infinity;
        await this.#create(t, due, 'retry');
      } else {
        const key = `${t.tenant.name}-${(this.#seq++).toString(36)}-${Math.floor(rng() * 1e9).toString(36)}`;
        const body = this.#newBody(t, key);
        t.keys.set(key, { body, bodyTag: key, jobId: undefined, retryAt: Infinity, bulk: false });
        await this.#create(t, key, 'first');
      }
      await sleep(between(rng, 200, 700));
    }
  }

  /** More than 100 waits on one client at once: it switches to one `/v1/events` stream. */
  async #bursts(t: TenantClients, burst: { everyMs: number; size: number }): Promise<void> {
    const rng = this.#o.rng;
    let next = Date.now() + between(rng, 0.2, 0.5) * burst.everyMs;
    while (!this.#stopping) {
      await sleep(Math.min(500, Math.max(0, next - Date.now())));
      if (Date.now() < next || this.#stopping) continue;
      next += burst.everyMs;
      for (let i = 0; i < burst.size && !this.#stopping; i += 10) {
        await Promise.all(
          Array.from({ length: Math.min(10, burst.size - i) }, async () => {
            const key = `${t.tenant.name}-burst-${(this.#seq++).toString(36)}`;
            const body = this.#newBody(t, key);
            body.simulate = { duration_ms: Math.round(between(rng, 2000, 6000)) };
            t.keys.set(key, {
              body,
              bodyTag: key,
              jobId: undefined,
              retryAt: Infinity,
              bulk: true,
            });
            await this.#create(t, key, 'first');
          }),
        );
      }
    }
  }
}
