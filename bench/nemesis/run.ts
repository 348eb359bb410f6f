/**
 * One nemesis run: start the deployment and the webhook receiver, let the clients work while the
 * nemesis plays its schedule, stop creating, bring every process back, let every wait, job and
 * webhook finish, read the final state, check the history, stop everything (by pid).
 */
import type { Verdict } from './anomalies.js';
import { check } from './checker.js';
import { startDeployment, TENANTS, type Deployment, type DeploymentKind } from './cluster.js';
import { History, type FaultRecord } from './history.js';
import { planSchedule, playSchedule, type PlannedFault } from './nemesis.js';
import { WebhookReceiver } from './receiver.js';
import { faultCosts, type FaultCost } from './report.js';
import { createRng } from './rng.js';
import { traceJob } from './trace.js';
import { pendingDeliveries, readTruth } from './truth.js';
import { Workload } from './workload.js';

export interface RunOptions {
  kind: DeploymentKind;
  seed: string;
  durationMs: number;
  /** Upper bound on faults (the schedule also ends `tailMs` before the run). */
  maxFaults?: number;
  /** A burst of more than 100 waits on one client (waits over /v1/events) this often. */
  burstEveryMs?: number;
  log?: (line: string) => void;
}

export interface RunReport {
  kind: DeploymentKind;
  seed: string;
  durationMs: number;
  schedule: PlannedFault[];
  faults: FaultRecord[];
  counts: Record<string, number>;
  verdict: Verdict;
  costs: FaultCost[];
  /** Everything the history holds about the first jobs named by anomalies. */
  traces: string[][];
  /** Wall time of each phase, ms. */
  phasesMs: Record<'start' | 'run' | 'drain' | 'truth' | 'check' | 'stop', number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await what()) return true;
    await sleep(250);
  }
  return false;
}

async function fetchSecrets(baseUrl: string, receiver: WebhookReceiver): Promise<void> {
  for (const t of TENANTS) {
    const res = await fetch(`${baseUrl}/v1/webhooks/secret`, {
      headers: { authorization: `Bearer ${t.apiKey}` },
    });
    if (res.status !== 200) throw new Error(`GET /v1/webhooks/secret answered ${res.status}`);
    receiver.setSecret(t.name, ((await res.json()) as { secret: string }).secret);
  }
}

export async function runNemesis(o: RunOptions): Promise<RunReport> {
  const log = o.log ?? (() => undefined);
  const phases: Partial<RunReport['phasesMs']> = {};
  let mark = Date.now();
  const phase = (name: keyof RunReport['phasesMs']) => {
    phases[name] = Date.now() - mark;
    mark = Date.now();
  };
  const history = new History();
  const receiver = new WebhookReceiver(history, o.seed);
  await receiver.listen();
  let deployment: Deployment | undefined;
  try {
    deployment = await startDeployment(o.kind);
    const d = deployment;
    await fetchSecrets(d.baseUrl, receiver);
    const schedule = planSchedule({
      rng: createRng(`${o.seed}:nemesis`),
      deployment: d,
      runMs: o.durationMs,
      gapMs: [2000, 6000],
      tailMs: 5000,
      maxFaults: o.maxFaults ?? 1000,
    });
    log(
      `${o.kind}: ${d.instances.length} instance(s)${d.nginx ? ' behind nginx' : ''}, seed ${o.seed}, ${o.durationMs / 1000} s, ${schedule.length} faults`,
    );
    phase('start');
    const workload = new Workload({
      baseUrl: d.baseUrl,
      history,
      rng: createRng(`${o.seed}:workload`),
      receiver,
      creatorsPerTenant: 3,
      burst: o.burstEveryMs ? { everyMs: o.burstEveryMs, size: 110 } : undefined,
      waitTimeoutMs: o.durationMs + 120_000,
    });
    const startedAt = Date.now();
    workload.start();
    await Promise.all([
      playSchedule(schedule, d, startedAt, history.faults, log),
      sleep(o.durationMs),
    ]);
    const endedAt = Date.now();
    phase('run');
    await d.heal();
    await workload.stopCreating(30_000);
    await workload.settleWaits(60_000);
    const withCallbacks = new Map(
      [...history.callbacks.keys()].map((id) => [id, history.owner.get(id)!]),
    );
    const drained = await until(
      async () => (await pendingDeliveries(d.baseUrl, withCallbacks)) === 0,
      45_000,
    );
    if (!drained) log('  webhook deliveries still pending after 45 s');
    phase('drain');
    const truth = await readTruth({
      baseUrl: d.baseUrl,
      ownedJobs: history.owner,
      redisPort: d.redis?.server.port,
    });
    // Give the event readers the time to reach the end of the log, then stop them.
    const tails = new Map([...truth.events].map(([tenant, log]) => [tenant, log.at(-1)?.id]));
    await until(
      async () =>
        history.sessions.length > 0 &&
        [...tails].every(([tenant, tail]) => readerAt(history, tenant, tail)),
      10_000,
    );
    await workload.stopReaders();
    phase('truth');
    const verdict = check(history, truth, { unresolvedKeys: workload.unresolvedKeys(), startedAt });
    const costs = faultCosts(history, truth, { from: startedAt, to: endedAt });
    const traced = [...new Set(verdict.anomalies.flatMap((a) => (a.jobId ? [a.jobId] : [])))];
    const traces = traced.slice(0, 10).map((id) => traceJob(history, truth, id, startedAt));
    phase('check');
    await d.stop();
    deployment = undefined;
    phase('stop');
    return {
      kind: o.kind,
      seed: o.seed,
      durationMs: o.durationMs,
      schedule,
      faults: history.faults,
      counts: history.counts(),
      verdict,
      costs,
      traces,
      phasesMs: phases as RunReport['phasesMs'],
    };
  } finally {
    await deployment?.stop();
    await receiver.close();
  }
}

/** Whether every reader of `tenant` has received the event `tail` (the log's last). */
function readerAt(history: History, tenant: string, tail: string | undefined): boolean {
  if (tail === undefined) return true;
  const readers = new Set(history.sessions.filter((s) => s.tenant === tenant).map((s) => s.reader));
  return [...readers].every((reader) =>
    history.sessions.some((s) => s.reader === reader && s.events.some((e) => e.id === tail)),
  );
}
