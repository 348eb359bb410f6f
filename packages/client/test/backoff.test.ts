import { describe, expect, it } from 'vitest';
import { backoffDelayMs, hintlessPollDelayMs } from '../src/internal/backoff.js';

const policy = { baseDelayMs: 500, maxDelayMs: 10_000 };

describe('backoffDelayMs', () => {
  it('doubles per attempt up to the cap, half of each delay jittered', () => {
    const top = [0, 1, 2, 3, 4, 5, 6].map((a) => backoffDelayMs(a, policy, () => 0.999999));
    expect(top).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    const bottom = [0, 1, 5].map((a) => backoffDelayMs(a, policy, () => 0));
    expect(bottom).toEqual([250, 500, 5000]);
  });

  it('treats a negative attempt as the first', () => {
    expect(backoffDelayMs(-3, policy, () => 0.999999)).toBe(500);
  });
});

describe('hintlessPollDelayMs', () => {
  const poll = { minIntervalMs: 250, maxIntervalMs: 5000 };

  it('polls every 250 ms at first, then a fifth of the elapsed time, capped at 5 s', () => {
    const at = (elapsedMs: number) => hintlessPollDelayMs(elapsedMs, poll, () => 0);
    expect([0, 1000, 2000, 10_000, 25_000, 100_000].map(at)).toEqual([
      250, 250, 400, 2000, 5000, 5000,
    ]);
  });

  it('only jitters downwards, so lateness never exceeds min(5 s, max(250 ms, 20 % of elapsed))', () => {
    for (let elapsedMs = 0; elapsedMs < 200_000; elapsedMs += 777) {
      for (const r of [0, 0.3, 0.99]) {
        const delay = hintlessPollDelayMs(elapsedMs, poll, () => r);
        expect(delay).toBeLessThanOrEqual(Math.min(5000, Math.max(250, 0.2 * elapsedMs)) + 0.5);
        expect(delay).toBeGreaterThanOrEqual(
          0.8 * Math.min(5000, Math.max(250, 0.2 * elapsedMs)) - 0.5,
        );
      }
    }
  });

  it('grows the schedule geometrically from the start of the wait', () => {
    let t = 0;
    let polls = 0;
    while (t < 60_000) {
      t += hintlessPollDelayMs(t, poll, () => 0);
      polls += 1;
    }
    expect(polls).toBeLessThan(35);
    expect(polls).toBeGreaterThan(15);
  });
});
