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
    const budget = new RetryBudget(
      { capacity: 3, refillPerSecond: 1, refillPerSuccess: 0 },
      manualClock(),
    );
    expect([1, 2, 3, 4].map(() => budget.tryAcquire())).toEqual([true, true, true, false]);
  });

  it('refills at its rate and says how long until the next token', () => {
    const clock = manualClock();
    const budget = new RetryBudget({ capacity: 2, refillPerSecond: 2, refillPerSuccess: 0 }, clock);
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
    const budget = new RetryBudget(
      { capacity: 2, refillPerSecond: 10, refillPerSuccess: 1 },
      clock,
    );
    clock.advance(60_000);
    expect(budget.available()).toBe(2);
  });

  it('never refills with a zero rate', () => {
    const budget = new RetryBudget(
      { capacity: 1, refillPerSecond: 0, refillPerSuccess: 0 },
      manualClock(),
    );
    budget.tryAcquire();
    expect(budget.msUntilAvailable()).toBe(Number.POSITIVE_INFINITY);
  });

  it('gets a token back for each successful answer, up to its capacity', () => {
    const budget = new RetryBudget(
      { capacity: 3, refillPerSecond: 0, refillPerSuccess: 1 },
      manualClock(),
    );
    for (let i = 0; i < 3; i += 1) budget.tryAcquire();
    expect(budget.tryAcquire()).toBe(false);
    budget.recordSuccess();
    expect(budget.tryAcquire()).toBe(true);
    expect(budget.tryAcquire()).toBe(false);
    for (let i = 0; i < 10; i += 1) budget.recordSuccess();
    expect(budget.available()).toBe(3);
  });

  it('keeps up with partial failure but not with an outage', () => {
    const clock = manualClock();
    const budget = new RetryBudget(
      { capacity: 20, refillPerSecond: 1, refillPerSuccess: 1 },
      clock,
    );
    // 30 % failures, each retried: the successes pay for the retries, none is refused.
    let refused = 0;
    for (let i = 0; i < 1000; i += 1) {
      if (i % 10 < 3) refused += budget.tryAcquire() ? 0 : 1;
      else budget.recordSuccess();
    }
    expect(refused).toBe(0);
    // Nothing succeeds: the burst, then one retry a second.
    let granted = 0;
    while (budget.tryAcquire()) granted += 1;
    for (let ms = 0; ms < 10_000; ms += 250) {
      clock.advance(250);
      while (budget.tryAcquire()) granted += 1;
    }
    expect(granted).toBe(20 + 10);
  });

  it('tells who waits for a token when an answer succeeds, until they stop listening', () => {
    const budget = new RetryBudget(
      { capacity: 1, refillPerSecond: 0, refillPerSuccess: 1 },
      manualClock(),
    );
    let calls = 0;
    const stop = budget.onSuccess(() => (calls += 1));
    budget.recordSuccess();
    stop();
    budget.recordSuccess();
    expect(calls).toBe(1);
  });
});
