import { describe, expect, it } from 'vitest';
import type { Job } from '@vtrans/client';
import { nextPollDelayMs } from '../src/wait/poll-schedule.js';

const poll = { minIntervalMs: 250, maxIntervalMs: 5000 };

function pending(durationMs: number): Job {
  return {
    id: 'job_x',
    status: 'pending',
    progress: 0,
    stage: 'queued',
    source_url: null,
    target_language: null,
    created_at: new Date(0).toISOString(),
    updated_at: new Date(0).toISOString(),
    eta: new Date(durationMs).toISOString(),
    completed_at: null,
    error: null,
    result: null,
    version: 1,
  };
}

/** Simulates polling a job of expected duration `etaMs` that really takes `actualMs`. */
function simulate(etaMs: number, actualMs: number): { latenessMs: number; requests: number } {
  const job = pending(etaMs);
  let t = 20;
  let requests = 1;
  while (t < actualMs) {
    const retryAfterMs = Math.max(1, Math.ceil((etaMs - t) / 1000)) * 1000;
    t += nextPollDelayMs({
      nowMs: t,
      waitStartedAtMs: 0,
      job,
      retryAfterMs,
      poll,
      random: () => 0.5,
    });
    requests += 1;
  }
  return { latenessMs: t - actualMs, requests };
}

function spread(
  etaMs: number,
  share: number,
  samples = 41,
): { latenessMs: number; requests: number }[] {
  return Array.from({ length: samples }, (_, i) =>
    simulate(etaMs, etaMs * (1 - share + (2 * share * i) / (samples - 1))),
  );
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('nextPollDelayMs', () => {
  it('sleeps until the uncertainty window opens (eta − 40 %) when the job is young', () => {
    expect(
      nextPollDelayMs({
        nowMs: 1000,
        waitStartedAtMs: 0,
        job: pending(10_000),
        retryAfterMs: 9000,
        poll,
        random: () => 0,
      }),
    ).toBe(5000);
  });

  it('polls densest around eta and never faster than minIntervalMs', () => {
    const at = (nowMs: number) =>
      nextPollDelayMs({
        nowMs,
        waitStartedAtMs: 0,
        job: pending(20_000),
        retryAfterMs: undefined,
        poll,
        random: () => 0,
      });
    expect(at(20_000)).toBeLessThan(at(15_000));
    expect(at(20_000)).toBeLessThan(at(25_000));
    expect(
      nextPollDelayMs({
        nowMs: 3000,
        waitStartedAtMs: 0,
        job: pending(3000),
        retryAfterMs: undefined,
        poll,
        random: () => 0,
      }),
    ).toBe(250);
  });

  it('caps the delay with Retry-After', () => {
    expect(
      nextPollDelayMs({
        nowMs: 1000,
        waitStartedAtMs: 0,
        job: pending(60_000),
        retryAfterMs: 2000,
        poll,
        random: () => 0,
      }),
    ).toBe(2000);
  });

  it('falls back to the capped hintless schedule without eta', () => {
    const job = { ...pending(1000), eta: null };
    expect(
      nextPollDelayMs({
        nowMs: 100_000,
        waitStartedAtMs: 0,
        job,
        retryAfterMs: undefined,
        poll,
        random: () => 0,
      }),
    ).toBe(5000);
    expect(
      nextPollDelayMs({
        nowMs: 100,
        waitStartedAtMs: 0,
        job: undefined,
        retryAfterMs: undefined,
        poll,
        random: () => 0,
      }),
    ).toBe(250);
  });

  it('meets the 3 s target: median ≤ 250 ms late with ≤ 8 requests (finish within ±50 % of eta)', () => {
    const runs = spread(3000, 0.5);
    expect(median(runs.map((r) => r.latenessMs))).toBeLessThanOrEqual(250);
    expect(median(runs.map((r) => r.requests))).toBeLessThanOrEqual(8);
  });

  it('stays ≤ 1 s late on average with about 10 requests for 10–60 s jobs (±20 %)', () => {
    for (const etaMs of [10_000, 30_000, 60_000]) {
      const runs = spread(etaMs, 0.2);
      expect(mean(runs.map((r) => r.latenessMs))).toBeLessThanOrEqual(
        etaMs <= 30_000 ? 1000 : 1300,
      );
      expect(mean(runs.map((r) => r.requests))).toBeLessThanOrEqual(10.5);
    }
  });
});
