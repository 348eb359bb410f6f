import { describe, expect, it } from 'vitest';
import type { Clock } from '../src/internal/clock.js';
import { RetryBudget } from '../src/internal/retry-budget.js';

function manualClock(): Clock & { advance(ms: number): void } {
  let now = 1_000_000;
  return {
    now: () => now,
    setTimeout: () => undefined,
    clearTimeout: () => undefined,
    advance: (ms) => {
      now += ms;
    },
  };
}

describe('RetryBudget', () => {
  it('allows a burst up to its capacity, then refuses', () => {
    const budget = new RetryBudget({ capacity: 3, refillPerSecond: 1 }, manualClock());
    expect([1, 2, 3, 4].map(() => budget.tryAcquire())).toEqual([true, true, true, false]);
  });

  it('refills at its rate and says how long until the next token', () => {
    const clock = manualClock();
    const budget = new RetryBudget({ capacity: 2, refillPerSecond: 2 }, clock);
    budget.tryAcquire();
    budget.tryAcquire();
    expect(budget.msUntilAvailable()).toBe(500);
    clock.advance(250);
    expect(budget.tryAcquire()).toBe(false);
    expect(budget.msUntilAvailable()).toBe(250);
    clock.advance(250);
    expect(budget.tryAcquire()).toBe(true);
  });

  it('never holds more than its capacity', () => {
    const clock = manualClock();
    const budget = new RetryBudget({ capacity: 2, refillPerSecond: 10 }, clock);
    clock.advance(60_000);
    expect(budget.available()).toBe(2);
  });

  it('never refills with a zero rate', () => {
    const budget = new RetryBudget({ capacity: 1, refillPerSecond: 0 }, manualClock());
    budget.tryAcquire();
    expect(budget.msUntilAvailable()).toBe(Number.POSITIVE_INFINITY);
  });
});
