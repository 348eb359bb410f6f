/**
 * A retention sweep of every finished job, run in the server's process (the host) while long polls
 * are held on jobs finishing during it and `/healthz` is asked every 50 ms: how long the sweep
 * took, the longest event-loop stall it caused, how late the held requests woke, and — for SQLite
 * — how large the file and its write-ahead log grew and what is left after.
 */
import { sqliteBytes } from './populate-sqlite.js';
import { holdWakers, proveLiveness, sleep, type Summary, type Wakes } from './probes.js';
import type { NoiseProbe } from './noise.js';
import type { Host } from './servers.js';

export interface SweepReport {
  durationMs: number;
  deleted: number;
  /** Longest stall inside the server's process while the sweep ran. */
  stallMs: number;
  /** The idle reference process's longest gap meanwhile (the machine's noise), ms. */
  noiseMs: number;
  wakes: Wakes;
  healthz: Summary & { failures: number };
  /** SQLite only (else NaN): file and WAL before, the WAL's peak during, both after. */
  fileBytesBefore: number;
  walBytesPeak: number;
  fileBytesAfter: number;
  walBytesAfter: number;
  /**
   * SQLite only: file and WAL once the checkpoint worker has copied the log (the file shrinks by the
   * pages the sweep vacuumed only then) — the sizes once steady for a second, at most 10 s on.
   */
  fileBytesSettled?: number;
  walBytesSettled?: number;
}

/** Sizes every 250 ms until four readings in a row agree (or `timeoutMs` passes). */
async function settledSize(
  size: () => { file: number; wal: number },
  timeoutMs: number,
): Promise<{ file: number; wal: number }> {
  const deadline = performance.now() + timeoutMs;
  let last = size();
  let same = 0;
  while (same < 4 && performance.now() < deadline) {
    await sleep(250);
    const now = size();
    same = now.file === last.file && now.wal === last.wal ? same + 1 : 0;
    last = now;
  }
  return last;
}

export async function measureSweep(
  host: Host,
  spec: string,
  cutoff: number,
  options: { sweepWakers: number; sweepSpreadMs: number },
  noise: NoiseProbe,
): Promise<SweepReport> {
  const path = spec.startsWith('sqlite:') ? spec.slice('sqlite:'.length) : undefined;
  const size = () => (path ? sqliteBytes(path) : { file: NaN, wal: NaN });
  const before = size();
  // Long polls on jobs that finish from 200 ms after the sweep starts, over the spread.
  const leadMs = 1000 + options.sweepWakers * 20;
  const wakers = await holdWakers(host.url, options.sweepWakers, leadMs, options.sweepSpreadMs);
  await sleep(wakers.firstFinishAt - 200 - Date.now());
  const prober = proveLiveness(host.url);
  let walPeak = before.wal;
  const sampler = setInterval(() => (walPeak = Math.max(walPeak, size().wal)), 100);
  await noise.maxGapMs();
  // Everything that ended before the cutoff goes: the whole finished dataset, none of the wakers.
  const sweep = await host.ask({ cmd: 'sweep', before: cutoff }, 'sweep');
  const noiseMs = await noise.maxGapMs();
  const wakes = await wakers.answered;
  clearInterval(sampler);
  const healthz = await prober.stop();
  const after = size();
  const settled = path ? await settledSize(size, 10_000) : undefined;
  return {
    durationMs: Math.round(sweep.ms),
    deleted: sweep.deleted,
    stallMs: Math.round(sweep.loopMaxMs),
    noiseMs,
    wakes,
    healthz,
    fileBytesBefore: before.file,
    walBytesPeak: Math.max(walPeak, after.wal),
    fileBytesAfter: after.file,
    walBytesAfter: after.wal,
    ...(settled && { fileBytesSettled: settled.file, walBytesSettled: settled.wal }),
  };
}
