/**
 * The memory store's event log, kept in chunks: a retention cut in time order drops exactly the
 * events before it, across chunks; events of deleted jobs, and a cut when events came in out of
 * order, are swept a few chunks per write — reads never return them meanwhile, and no single
 * write sweeps more than a couple of chunks, however many events it appends. A write here is what
 * the store does: appends, then `sweepSome` once.
 */
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../src/sim/job-model.js';
import { MemoryEventLog } from '../src/store/memory-events.js';
import type { EventType } from '../src/store/types.js';
import { jobRecord, T0 } from './helpers/records.js';

const CHUNK = 4096;

function logOf(jobs: number, eventsPerJob: number) {
  const stored = new Map<string, JobRecord>();
  const log = new MemoryEventLog((id) => stored.get(id));
  const appendOnly = (job: JobRecord, at: number, type: EventType = 'job.updated') =>
    log.append({ tenant: job.tenant, jobId: job.id, type, at, data: {} as never }, job);
  /** A write of one event. */
  const append = (job: JobRecord, at: number, type: EventType = 'job.updated') => {
    const event = appendOnly(job, at, type);
    log.sweepSome();
    return event;
  };
  const records: JobRecord[] = [];
  let at = T0;
  for (let i = 0; i < jobs; i++) {
    const job = jobRecord(`job_${String(i).padStart(6, '0')}`, { createdAt: T0 + i });
    stored.set(job.id, job);
    records.push(job);
  }
  // Events in writing order and time order, jobs interleaved.
  for (let e = 0; e < eventsPerJob; e++) for (const job of records) append(job, at++);
  const readAll = () => log.read('acme', 0, Number.MAX_SAFE_INTEGER);
  return { log, stored, records, append, appendOnly, readAll, lastAt: () => at };
}

describe('memory store event log', () => {
  it('a cut in time order drops exactly the events before it, whole chunks and part of one', () => {
    const { log, readAll } = logOf(10_000, 3);
    const cutoff = T0 + 2 * CHUNK + 1000;
    log.purge(cutoff);
    expect(log.size).toBe(30_000 - (2 * CHUNK + 1000));
    const events = readAll();
    expect(events).toHaveLength(log.size);
    expect(events[0]!.at).toBe(cutoff);
    // Reading after a sequence number still finds its place.
    const from = events[5000]!;
    const seq = Number(from.id.split('-')[1]);
    expect(log.read('acme', seq, 1)[0]!.at).toBe(from.at + 1);
  });

  it("sweeps deleted jobs' events a couple of chunks per write, never returning them meanwhile", () => {
    const { log, stored, records, append, readAll, lastAt } = logOf(10_000, 3);
    const survivor = records[9999]!;
    let most = 0;
    const write = (n: number) => {
      let at = lastAt();
      for (let i = 0; i < n; i++) {
        const before = log.size;
        append(survivor, at++);
        most = Math.max(most, before + 1 - log.size);
      }
    };
    // A sweep deletes 6,000 jobs one by one, each telling the log as it goes.
    for (const [i, job] of records.slice(0, 6000).entries()) {
      stored.delete(job.id);
      const before = log.size;
      log.jobGone(3);
      log.sweepSome();
      most = Math.max(most, before - log.size);
      if (i % 1000 === 999) expect(readAll()).toHaveLength((10_000 - i - 1) * 3);
    }
    expect(readAll()).toHaveLength(4000 * 3);
    write(20);
    // Jobs deleted behind the sweep wait for the next one: never more than about half the log.
    expect(log.size - readAll().length).toBeLessThanOrEqual(readAll().length);
    expect(readAll()).toHaveLength(4000 * 3 + 20);
    expect(most).toBeLessThanOrEqual(2 * CHUNK);
  });

  it('sweeps no more than a couple of chunks in a write of many events', () => {
    const { log, stored, records, append, appendOnly, readAll, lastAt } = logOf(10_000, 3);
    for (const job of records.slice(0, 6000)) stored.delete(job.id);
    log.jobGone(6000 * 3);
    let at = lastAt();
    // One write of 500 events (a step writer's batch): appended, then one sweep step.
    const before = log.size;
    for (let i = 0; i < 500; i++) appendOnly(records[9999]!, at++);
    log.sweepSome();
    expect(before + 500 - log.size).toBeGreaterThanOrEqual(0);
    expect(before + 500 - log.size).toBeLessThanOrEqual(2 * CHUNK);
    expect(readAll()).toHaveLength(4000 * 3 + 500);
    // Later writes finish the sweep, each dropping at most a couple of chunks' worth.
    let writes = 0;
    while (log.size > readAll().length && writes < 200) {
      const size = log.size;
      append(records[9999]!, at++);
      writes++;
      expect(size + 1 - log.size).toBeLessThanOrEqual(2 * CHUNK);
    }
    expect(log.size).toBe(4000 * 3 + 500 + writes);
    expect(readAll()).toHaveLength(log.size);
  });

  it('goes on with a chunk across writes that append to it and delete jobs meanwhile', () => {
    // Fewer events than a chunk holds: the sweep's chunk is the one the writes append to.
    const { log, stored, records, append, readAll, lastAt } = logOf(1000, 3);
    for (const job of records.slice(0, 600)) stored.delete(job.id);
    log.jobGone(600 * 3);
    let at = lastAt();
    for (let i = 0; i < 300; i++) {
      // A job deleted as the sweep goes: its events are never read again, swept now or later.
      if (i % 10 === 0) {
        const job = records[600 + i / 10]!;
        stored.delete(job.id);
        log.jobGone(3);
      }
      append(records[999]!, at++);
      expect(readAll().every((e) => stored.has(e.jobId))).toBe(true);
    }
    expect(readAll()).toHaveLength((400 - 30) * 3 + 300);
    // Until a later sweep, at most the 30 jobs deleted behind this one linger unread.
    expect(log.size - readAll().length).toBeLessThanOrEqual(30 * 3);
  });

  it("drops every deleted job's event once a sweep has passed them all", () => {
    const { log, stored, records, append, readAll, lastAt } = logOf(10_000, 3);
    for (const job of records.slice(0, 6000)) stored.delete(job.id);
    log.jobGone(6000 * 3);
    let at = lastAt();
    for (let i = 0; i < 10; i++) append(records[9999]!, at++);
    expect(log.size).toBe(4000 * 3 + 10);
    expect(readAll()).toHaveLength(log.size);
  });

  it('a cut after events came in out of order hides them at once and sweeps them with later writes', () => {
    const { log, records, append, readAll, lastAt } = logOf(10_000, 3);
    let at = lastAt();
    append(records[0]!, T0 + 5); // written late, about an early instant
    const cutoff = T0 + 20_000;
    log.purge(cutoff);
    const expected = 30_000 - 20_000;
    expect(readAll()).toHaveLength(expected);
    expect(readAll().every((e) => e.at >= cutoff)).toBe(true);
    expect(log.size).toBeGreaterThan(expected);
    for (let i = 0; i < 10; i++) append(records[1]!, at++);
    expect(log.size).toBe(expected + 10);
    // Swept in order again: the next cut is a binary search, exact at once.
    log.purge(cutoff + 5000);
    expect(log.size).toBe(expected + 10 - 5000);
    expect(readAll()).toHaveLength(log.size);
  });
});
