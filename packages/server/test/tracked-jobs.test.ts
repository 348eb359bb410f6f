import { describe, expect, it } from 'vitest';
import { TrackedJobs } from '../src/wait/tracked-jobs.js';

/** A small deterministic generator, so a failure repeats. */
function lcg(seed: number): () => number {
  let x = seed;
  return () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

interface Job {
  tenant: string;
  createdAt: number;
  finishAt: number;
  step: number;
  at: number;
}

function expectSame(tracked: TrackedJobs, model: Map<string, Job>): void {
  expect(tracked.size).toBe(model.size);
  for (const [id, job] of model) {
    const slot = tracked.slotOf(id);
    expect(slot).toBeGreaterThanOrEqual(0);
    expect({
      id: tracked.id(slot),
      tenant: tracked.tenant(slot),
      createdAt: tracked.createdAt(slot),
      finishAt: tracked.finishAt(slot),
      step: tracked.step(slot),
      at: tracked.at(slot),
    }).toEqual({ id, ...job });
  }
}

describe('TrackedJobs', () => {
  it('keeps every job’s fields and its earliest instant first, across blocks, under every change', () => {
    const random = lcg(5);
    const tracked = new TrackedJobs();
    const model = new Map<string, Job>();
    const earliest = () => Math.min(...[...model.values()].map((j) => j.at));
    let next = 0;
    for (let round = 0; round < 30_000; round++) {
      const ids = [...model.keys()];
      const someId = ids[Math.floor(random() * ids.length)];
      const r = random();
      // Mostly new jobs for the first 20,000 rounds (past two 4,096-slot blocks), then mostly not.
      if (someId === undefined || r < (round < 20_000 ? 0.6 : 0.1)) {
        const id = `job_${next++}`;
        const job = {
          tenant: `t${next % 3}`,
          createdAt: next,
          finishAt: next + 1000.5,
          step: 1 + (next % 5),
          at: Math.floor(random() * 1e6) + 0.25,
        };
        tracked.set(id, job.tenant, job.createdAt, job.finishAt, job.step, job.at);
        model.set(id, job);
      } else if (r < 0.7) {
        // A tracked job set again: its fields change and it moves.
        const job = { ...model.get(someId)!, tenant: 'again', at: random() * 1e6, step: 2 };
        tracked.set(someId, job.tenant, job.createdAt, job.finishAt, job.step, job.at);
        model.set(someId, job);
      } else if (r < 0.8) {
        const at = random() * 1e6;
        tracked.move(tracked.slotOf(someId), 3, at);
        model.set(someId, { ...model.get(someId)!, step: 3, at });
      } else if (r < 0.9) {
        expect(tracked.delete(someId)).toBe(true);
        expect(tracked.delete(someId)).toBe(false);
        model.delete(someId);
        expect(tracked.has(someId)).toBe(false);
        expect(tracked.slotOf(someId)).toBe(-1);
      } else {
        // As a tick does: the earliest job moves on to a later step.
        const top = tracked.earliest();
        expect(tracked.at(top)).toBe(earliest());
        const id = tracked.id(top);
        const at = tracked.at(top) + random() * 1000;
        tracked.move(top, 4, at);
        model.set(id, { ...model.get(id)!, step: 4, at });
      }
      if (round % 1000 === 0) expectSame(tracked, model);
      if (model.size > 0 && round % 97 === 0)
        expect(tracked.at(tracked.earliest())).toBe(earliest());
    }
    expectSame(tracked, model);
    // Drained earliest first, every job once, in order of instant.
    const drained: number[] = [];
    for (let top = tracked.earliest(); top >= 0; top = tracked.earliest()) {
      drained.push(tracked.at(top));
      tracked.delete(tracked.id(top));
    }
    expect(drained).toEqual([...model.values()].map((j) => j.at).sort((a, b) => a - b));
    expect(tracked.size).toBe(0);
    expect(tracked.earliest()).toBe(-1);
  });

  it('reuses a freed slot for the next job, with none of the old job’s fields', () => {
    const tracked = new TrackedJobs();
    tracked.set('job_a', 'acme', 1, 100, 2, 50);
    tracked.set('job_b', 'acme', 2, 200, 3, 60);
    const slot = tracked.slotOf('job_a');
    tracked.delete('job_a');
    tracked.set('job_c', 'other', 3, 300, 1, 70);
    expect(tracked.slotOf('job_c')).toBe(slot);
    expect([tracked.id(slot), tracked.tenant(slot), tracked.step(slot), tracked.at(slot)]).toEqual([
      'job_c',
      'other',
      1,
      70,
    ]);
    expect(tracked.id(tracked.earliest())).toBe('job_b');
    expect(tracked.has('job_a')).toBe(false);
  });
});
