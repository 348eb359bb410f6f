/** The several-run summary the README's results come from: ranges, run counts, missing figures. */
import { describe, expect, it } from 'vitest';
import { range, rangeTables } from './ranges.js';
import type { StoreReport } from './run.js';

const run = (heapPerJobBytes: number | undefined, errors: string[] = []): StoreReport => ({
  store: 'sqlite',
  jobs: 1000,
  emptyHeapBytes: 20e6,
  pending: { populateMs: 1500, heapPerJobBytes },
  finished: { populateMs: NaN, storage: 'file + WAL' },
  finishedWhileDown: { populateMs: NaN },
  errors,
});

describe('growth ranges', () => {
  it('gives the range over the runs that measured a figure, and how many did', () => {
    expect(range([12.4, 30.6, 18], 'ms')).toBe('12–31 ms');
    expect(range([1500, NaN, 1500], 's')).toBe('1.50 s (2 of 3 runs)');
    expect(range([900e3, 1.2e6], 'B')).toBe('0.9–1.2 MB');
    expect(range([NaN], 'n')).toBe('–');
  });

  it('prints one row per figure some run measured, and the failed steps', () => {
    const table = rangeTables([
      run(201),
      run(220),
      run(undefined, ['pending: heap: out of memory']),
    ]);
    expect(table).toContain('| heap per pending job | 201–220 B (2 of 3 runs) |');
    expect(table).toContain('| heap of a server on an empty store | 20.0 MB |');
    expect(table).toContain('| sqlite: range over runs | 1,000 jobs (3 runs) |');
    expect(table).not.toContain('sweep: duration');
    expect(table).toContain('| steps that failed | pending: heap: out of memory |');
  });
});
