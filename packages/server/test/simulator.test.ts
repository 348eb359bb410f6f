import { describe, expect, it } from 'vitest';
import { materialize, stepAt, TERMINAL_STEP, type JobRecord } from '../src/sim/job-model.js';
import { createRandom } from '../src/sim/rng.js';
import { drawJob, newJobId, type SimulationSettings } from '../src/sim/simulator.js';

const SETTINGS: SimulationSettings = {
  translationDelayMs: 10_000,
  translationDelayJitter: 0.2,
  errorProbability: 0.1,
};

describe('the seeded random source', () => {
  it('repeats the same sequence for the same seed', () => {
    const a = createRandom('42');
    const b = createRandom('42');
    const seqA = Array.from({ length: 100 }, () => a());
    const seqB = Array.from({ length: 100 }, () => b());
    expect(seqA).toEqual(seqB);
    for (const x of seqA) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });

  it('gives a different sequence for a different seed', () => {
    const a = createRandom('42');
    const b = createRandom('43');
    expect(Array.from({ length: 10 }, () => a())).not.toEqual(
      Array.from({ length: 10 }, () => b()),
    );
  });
});

describe('drawing a job', () => {
  const drawMany = (count: number, settings: SimulationSettings, seed = 'dist') => {
    const random = createRandom(seed);
    return Array.from({ length: count }, () => drawJob({ tenant: 't' }, settings, random, 0));
  };

  it('fails about ERROR_PROBABILITY of 10,000 seeded jobs', () => {
    for (const errorProbability of [0.1, 0.5]) {
      const jobs = drawMany(10_000, { ...SETTINGS, errorProbability });
      const errors = jobs.filter((j) => j.outcome === 'error').length / jobs.length;
      // Three standard deviations of a binomial proportion at n = 10,000 is at most 0.015.
      expect(Math.abs(errors - errorProbability)).toBeLessThan(0.015);
    }
  });

  it('never fails at 0 and always fails at 1', () => {
    expect(
      drawMany(1000, { ...SETTINGS, errorProbability: 0 }).some((j) => j.outcome === 'error'),
    ).toBe(false);
    expect(
      drawMany(1000, { ...SETTINGS, errorProbability: 1 }).every((j) => j.outcome === 'error'),
    ).toBe(true);
  });

  it('keeps 10,000 real durations inside the jitter bounds, spread across them, eta at the mean', () => {
    const jobs = drawMany(10_000, SETTINGS);
    const durations = jobs.map((j) => j.finishAt - j.createdAt);
    const min = Math.min(...durations);
    const max = Math.max(...durations);
    expect(min).toBeGreaterThanOrEqual(8000);
    expect(max).toBeLessThanOrEqual(12_000);
    expect(min).toBeLessThan(8100);
    expect(max).toBeGreaterThan(11_900);
    const mean = durations.reduce((a, b) => a + b, 0) / durations.length;
    expect(Math.abs(mean - 10_000)).toBeLessThan(100);
    expect(jobs.every((j) => j.etaAt === j.createdAt + 10_000)).toBe(true);
    // The real duration differs from the reported eta, as real translations do.
    expect(jobs.filter((j) => j.finishAt === j.etaAt).length).toBeLessThan(100);
  });

  it('draws the same fates in the same order for the same seed', () => {
    const fates = (seed: string) =>
      drawMany(200, SETTINGS, seed).map((j) => [j.outcome, j.finishAt, j.errorCode]);
    expect(fates('s1')).toEqual(fates('s1'));
    expect(fates('s1')).not.toEqual(fates('s2'));
  });

  it('gives unguessable ids that do not follow the seed', () => {
    const a = drawMany(5, SETTINGS, 'same').map((j) => j.id);
    const b = drawMany(5, SETTINGS, 'same').map((j) => j.id);
    for (const id of [...a, ...b]) expect(id).toMatch(/^job_[a-z2-7]{20}$/);
    expect(new Set([...a, ...b]).size).toBe(10);
    expect(newJobId()).not.toBe(newJobId());
  });

  it('uses a pinned duration exactly and a pinned outcome always', () => {
    const random = createRandom('pin');
    for (let i = 0; i < 100; i++) {
      const rec = drawJob(
        { tenant: 't', simulate: { duration_ms: 1500, outcome: 'error' } },
        SETTINGS,
        random,
        1000,
      );
      expect(rec.finishAt).toBe(2500);
      expect(rec.etaAt).toBe(2500);
      expect(rec.outcome).toBe('error');
      expect(rec.errorCode).toMatch(/_failed$/);
      expect(rec.errorMessage).toBeTruthy();
    }
  });

  it('jitters a pinned duration only when the request asks for jitter', () => {
    const random = createRandom('jit');
    const recs = Array.from({ length: 200 }, () =>
      drawJob({ tenant: 't', simulate: { duration_ms: 1000, jitter: 0.5 } }, SETTINGS, random, 0),
    );
    const durations = recs.map((r) => r.finishAt);
    expect(Math.min(...durations)).toBeGreaterThanOrEqual(500);
    expect(Math.max(...durations)).toBeLessThanOrEqual(1500);
    expect(new Set(durations).size).toBeGreaterThan(50);
    expect(recs.every((r) => r.etaAt === 1000)).toBe(true);
  });

  it('keeps a seeded run aligned whatever a request pins', () => {
    const a = createRandom('align');
    const b = createRandom('align');
    drawJob({ tenant: 't', simulate: { duration_ms: 5, outcome: 'completed' } }, SETTINGS, a, 0);
    drawJob({ tenant: 't' }, SETTINGS, b, 0);
    const next = (r: () => number) => drawJob({ tenant: 't' }, SETTINGS, r, 0);
    const [x, y] = [next(a), next(b)];
    expect([x.outcome, x.finishAt]).toEqual([y.outcome, y.finishAt]);
  });
});

describe('materialize', () => {
  const T0 = Date.UTC(2026, 0, 1);
  const iso = (ms: number) => new Date(T0 + ms).toISOString();
  const record = (overrides: Partial<JobRecord> = {}): JobRecord => ({
    id: 'job_aaaaaaaaaaaaaaaaaaaa',
    tenant: 'public',
    sourceUrl: 'https://example.com/v.mp4',
    targetLanguage: 'de',
    callbackUrl: null,
    callbackEvents: null,
    createdAt: T0,
    etaAt: T0 + 1200,
    finishAt: T0 + 1000,
    outcome: 'completed',
    errorCode: null,
    errorMessage: null,
    canceledAt: null,
    emittedStep: 0,
    ...overrides,
  });

  it('walks through the stages at their instants while the version stays 1', () => {
    const rec = record();
    const at = (ms: number) => materialize(rec, T0 + ms);
    const cases: [number, string, number, string][] = [
      [0, 'queued', 0, iso(0)],
      [49, 'queued', 0.049, iso(0)],
      [50, 'transcribing', 0.05, iso(50)],
      [250, 'translating', 0.25, iso(250)],
      [450, 'voicing', 0.45, iso(450)],
      [650, 'lip_syncing', 0.65, iso(650)],
      [849, 'lip_syncing', 0.849, iso(650)],
      [850, 'rendering', 0.85, iso(850)],
    ];
    for (const [ms, stage, progress, updatedAt] of cases) {
      expect(at(ms)).toMatchObject({
        status: 'pending',
        stage,
        progress,
        updated_at: updatedAt,
        version: 1,
        eta: iso(1200),
        completed_at: null,
        result: null,
        error: null,
      });
    }
  });

  it('is pending the instant before the finish, completed at it and after it', () => {
    const rec = record();
    const before = materialize(rec, T0 + 999);
    expect(before).toMatchObject({
      status: 'pending',
      stage: 'rendering',
      progress: 0.99,
      version: 1,
    });
    const atFinish = materialize(rec, T0 + 1000);
    expect(atFinish).toEqual({
      id: rec.id,
      status: 'completed',
      progress: 1,
      stage: null,
      source_url: 'https://example.com/v.mp4',
      target_language: 'de',
      created_at: iso(0),
      updated_at: iso(1000),
      eta: null,
      completed_at: iso(1000),
      error: null,
      result: { video_url: `https://media.vtrans.invalid/${rec.id}/de.mp4` },
      version: 2,
    });
    expect(materialize(rec, T0 + 1001)).toEqual(atFinish);
    expect(materialize(rec, T0 + 86_400_000)).toEqual(atFinish);
    expect(stepAt(rec, T0 + 999)).toBe(TERMINAL_STEP - 1);
    expect(stepAt(rec, T0 + 1000)).toBe(TERMINAL_STEP);
  });

  it('shows a failed job with its error and no result', () => {
    const rec = record({
      outcome: 'error',
      errorCode: 'render_failed',
      errorMessage: 'The translated video could not be rendered.',
    });
    expect(materialize(rec, T0 + 1000)).toMatchObject({
      status: 'error',
      error: { code: 'render_failed', message: 'The translated video could not be rendered.' },
      result: null,
      completed_at: iso(1000),
      version: 2,
    });
  });

  it('shows a canceled job as ended at the cancel instant with the progress it had', () => {
    const rec = record({ canceledAt: T0 + 300, emittedStep: TERMINAL_STEP });
    expect(materialize(rec, T0 + 400)).toMatchObject({
      status: 'canceled',
      stage: null,
      progress: 0.3,
      completed_at: iso(300),
      updated_at: iso(300),
      eta: null,
      result: null,
      error: null,
      version: 2,
    });
    // Canceled before it would have finished: it never turns completed afterwards.
    expect(materialize(rec, T0 + 5000).status).toBe('canceled');
  });

  it('is a pure function of the record and the instant', () => {
    const rec = record();
    const copy = structuredClone(rec);
    const first = materialize(rec, T0 + 500);
    expect(materialize(rec, T0 + 500)).toEqual(first);
    expect(rec).toEqual(copy);
  });

  it('completes a zero-length job at its creation instant', () => {
    const rec = record({ finishAt: T0, etaAt: T0 });
    expect(materialize(rec, T0)).toMatchObject({ status: 'completed', version: 2 });
  });
});
