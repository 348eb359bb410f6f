/**
 * A tenant's reader: every 250–700 ms one of a single read of one of its jobs, a batch read of up
 * to 20, the first page of its listing, or a probe of the other tenant's jobs (`getJob` or
 * `cancelJob`, which must answer 404). What came back is in the history (the recording `fetch`
 * and the probe records); failures are too, so the loop just goes on.
 */
import type { VtransClient } from '@vtrans/client';
import type { Tenant } from './cluster.js';
import type { History } from './history.js';
import { recordedProbe } from './recorded-calls.js';
import { recordingFetch } from './recording-fetch.js';
import { between, pick, type Rng } from './rng.js';

export interface ReaderLoopOptions {
  baseUrl: string;
  history: History;
  rng: Rng;
  tenant: Tenant;
  client: VtransClient;
  /** The tenant's jobs so far (grows while the loop runs). */
  ownJobs: readonly string[];
  other: { name: string; jobs: readonly string[] };
  isStopping: () => boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runReaderLoop(o: ReaderLoopOptions): Promise<void> {
  const { rng, ownJobs, other } = o;
  const anyOf = (jobs: readonly string[]) => jobs[Math.floor(rng() * jobs.length)]!;
  const batchFetch = recordingFetch(o.history, `${o.tenant.name}/reader`, o.tenant.name);
  while (!o.isStopping()) {
    await sleep(between(rng, 250, 700));
    const action = pick(rng, [
      ['get', 4],
      ['batch', 2.5],
      ['list', 1.5],
      ['probe-get', 1],
      ['probe-cancel', 0.5],
    ] as const);
    try {
      if (action === 'get' && ownJobs.length > 0) await o.client.getJob(anyOf(ownJobs));
      else if (action === 'batch' && ownJobs.length > 1) {
        const ids = new Set(
          Array.from({ length: Math.min(20, ownJobs.length) }, () => anyOf(ownJobs)),
        );
        const res = await batchFetch(`${o.baseUrl}/v1/jobs?ids=${[...ids].join(',')}`, {
          headers: { authorization: `Bearer ${o.tenant.apiKey}` },
          signal: AbortSignal.timeout(15_000),
        });
        await res.arrayBuffer();
      } else if (action === 'list') {
        for await (const page of o.client.listJobs({ limit: 50 }).pages()) {
          void page;
          break;
        }
      } else if (action.startsWith('probe') && other.jobs.length > 0) {
        const caller = { history: o.history, tenant: o.tenant.name, client: o.client };
        await recordedProbe(caller, {
          jobId: anyOf(other.jobs),
          owner: other.name,
          action: action === 'probe-get' ? 'get' : 'cancel',
        });
      }
    } catch {
      // A failed read is in the exchange record; the checker looks at what answers said.
    }
  }
}
