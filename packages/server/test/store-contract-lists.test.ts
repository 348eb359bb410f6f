/**
 * The store contract, part four: filtered lists stay exact however the data was written. Each
 * backend gets the same few hundred jobs (created out of order, some finished with their terminal
 * event written, some past their finish without it, some canceled, some swept) and every list —
 * each status, several instants, pages followed by cursor to the end — must equal the answer
 * computed from the records themselves.
 */
import { describe, expect, it } from 'vitest';
import { eventForStep } from '../src/sim/job-events.js';
import { JOB_STATUSES, TERMINAL_STEP, type JobRecord } from '../src/sim/job-model.js';
import { createRandom } from '../src/sim/rng.js';
import { compareNewestFirst, matchesStatus } from '../src/store/status-filter.js';
import type { Store } from '../src/store/types.js';
import { jobRecord, T0 } from './helpers/records.js';
import { STORE_BACKENDS } from './helpers/store-backends.js';

/** Writes the same history to any store; returns the records as they end up. */
async function writeHistory(store: Store, jobs: number): Promise<Map<string, JobRecord>> {
  const random = createRandom('store-contract-lists');
  const records = new Map<string, JobRecord>();
  for (let i = 0; i < jobs; i++) {
    // Creation instants collide and arrive out of order; ids break the ties.
    const createdAt = T0 + Math.floor(random() * 2000);
    const rec = jobRecord(`job_${String(Math.floor(random() * 1e9)).padStart(9, '0')}_${i}`, {
      tenant: random() < 0.8 ? 'acme' : 'globex',
      createdAt,
      finishAt: createdAt + Math.floor(random() * 4000),
      outcome: random() < 0.3 ? 'error' : 'completed',
    });
    await store.createJob(rec, eventForStep(rec, 0, createdAt));
    records.set(rec.id, rec);
  }
  for (const rec of records.values()) {
    const roll = random();
    if (roll < 0.15 && rec.finishAt > rec.createdAt) {
      const at = rec.createdAt + Math.floor((rec.finishAt - rec.createdAt) / 2);
      await store.cancelJob(rec.id, at, (r) => eventForStep(r, TERMINAL_STEP, at));
      records.set(rec.id, { ...rec, canceledAt: at, emittedStep: TERMINAL_STEP });
    } else if (roll < 0.4) {
      await store.emitSteps([
        { id: rec.id, step: TERMINAL_STEP, event: eventForStep(rec, TERMINAL_STEP, rec.finishAt) },
      ]);
      records.set(rec.id, { ...rec, emittedStep: TERMINAL_STEP });
    }
    // Else: unfinished — pending, or past its finish with the terminal event unwritten.
  }
  return records;
}

describe.each(STORE_BACKENDS)('the $name store: lists', ({ available, open }) => {
  describe.skipIf(!available)('', () => {
    // Past 500 jobs overdue (past their finish, terminal event unwritten) the stores read them
    // another way: both ways are checked.
    it.each([
      [200, 'a few'],
      [1000, 'over 500'],
    ])(
      'answers every filter, page after page, as the records say (%i jobs, %s overdue)',
      async (jobs) => {
        const store = await open();
        const records = await writeHistory(store, jobs);
        const overdue = [...records.values()].filter(
          (r) => r.emittedStep < TERMINAL_STEP && r.finishAt <= T0 + 6000,
        );
        expect(overdue.length > 500).toBe(jobs > 500);
        const sweptBefore = T0 + 1500;
        await store.purgeExpired(sweptBefore, []);
        for (const [id, r] of records)
          if (r.emittedStep >= TERMINAL_STEP && (r.canceledAt ?? r.finishAt) < sweptBefore)
            records.delete(id);
        // The listing instant never goes back past a written terminal event (the clock does not).
        for (const now of [T0 + 6000, T0 + 9000]) {
          for (const tenant of ['acme', 'globex']) {
            for (const status of [undefined, ...JOB_STATUSES]) {
              const expected = [...records.values()]
                .filter((r) => r.tenant === tenant && matchesStatus(r, status, now))
                .sort(compareNewestFirst)
                .map((r) => r.id);
              const got: string[] = [];
              let before: { createdAt: number; id: string } | undefined;
              for (let pages = 0; pages < 100; pages++) {
                const page = await store.listJobs({ tenant, status, now, limit: 25, before });
                got.push(...page.map((r) => r.id));
                const last = page.at(-1);
                if (page.length < 25 || !last) break;
                before = { createdAt: last.createdAt, id: last.id };
              }
              expect(got, `${tenant} ${status ?? 'any'} at +${now - T0}`).toEqual(expected);
            }
          }
        }
      },
    );
  });
});
