/** The progress bar and the colour rules, with fake streams and an injected clock. */
import type { Job } from '@vtrans/client';
import { describe, expect, it } from 'vitest';
import { formatDuration } from '../src/format.js';
import { createIo, type OutputStream } from '../src/io.js';
import { createProgressReporter, estimateProgress, renderBar } from '../src/progress.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

function job(overrides: Partial<Job> = {}): Job {
  return {
    id: 'job_aaaaaaaaaaaaaaaaaaaa',
    status: 'pending',
    progress: 0.2,
    stage: 'transcribing',
    source_url: null,
    target_language: 'es',
    created_at: new Date(T0).toISOString(),
    updated_at: new Date(T0).toISOString(),
    eta: new Date(T0 + 10_000).toISOString(),
    completed_at: null,
    error: null,
    result: null,
    version: 1,
    ...overrides,
  };
}

function fakeStream(isTTY: boolean): OutputStream & { text: string } {
  const stream = {
    text: '',
    isTTY,
    columns: 100,
    write(chunk: string) {
      stream.text += chunk;
      return true;
    },
  };
  return stream;
}

describe('estimateProgress', () => {
  it('moves a pending job on at the rate of its mean duration', () => {
    // 2 s after the reading, of a 10 s mean: +20 %.
    expect(estimateProgress(job(), T0 + 2000, T0 + 4000)).toBeCloseTo(0.4);
  });

  it('never shows a pending job done, and never goes backwards', () => {
    expect(estimateProgress(job(), T0, T0 + 60_000)).toBe(0.99);
    expect(estimateProgress(job({ progress: 0.5 }), T0 + 1000, T0)).toBe(0.5);
  });

  it('shows a completed job full and a failed one where it stopped', () => {
    expect(estimateProgress(job({ status: 'completed', progress: 1 }), T0, T0)).toBe(1);
    expect(
      estimateProgress(job({ status: 'error', progress: 0.4, eta: null }), T0, T0 + 5000),
    ).toBe(0.4);
  });
});

describe('renderBar', () => {
  it('shows the bar, the percentage, the stage and the ETA', () => {
    const io = createIo(fakeStream(false), fakeStream(false), {});
    const line = renderBar(job({ stage: 'translating' }), 0.5, T0 + 4000, io);
    expect(line).toBe(`[${'█'.repeat(12)}${'░'.repeat(12)}]   50%  translating  ETA ~6.0s`);
  });

  it('says "any moment" once the ETA has passed', () => {
    const io = createIo(fakeStream(false), fakeStream(false), {});
    expect(renderBar(job(), 0.99, T0 + 12_000, io)).toContain('ETA any moment');
  });
});

describe('the reporter on a terminal', () => {
  it('redraws one line in place and clears it when stopped', () => {
    const stderr = fakeStream(true);
    const io = createIo(fakeStream(true), stderr, { NO_COLOR: '1' });
    let now = T0 + 2000;
    const reporter = createProgressReporter(io, { mode: 'bar', now: () => now });
    reporter.update(job());
    now += 1000;
    reporter.update(job({ status: 'completed', progress: 1, stage: null, eta: null }));
    reporter.stop();
    const frames = stderr.text.split('\r\x1b[2K');
    expect(frames).toEqual([
      '',
      expect.stringContaining('20%  transcribing'),
      expect.stringContaining('100%  completed'),
      '',
    ]);
    expect(stderr.text).not.toContain('\n');
  });

  it('draws the whole line when the terminal reports no width (0 columns)', () => {
    const stderr = Object.assign(fakeStream(true), { columns: 0 });
    const io = createIo(fakeStream(true), stderr, { NO_COLOR: '1' });
    const reporter = createProgressReporter(io, { mode: 'bar', now: () => T0 + 2000 });
    reporter.update(job());
    reporter.stop();
    const drawn = stderr.text.split('\r\x1b[2K')[1] ?? '';
    expect(drawn).toMatch(/ETA ~\d+(\.\d+)? ?(ms|s)\b/);
  });

  it('never steps back when a reading is behind the extrapolated bar', () => {
    const stderr = fakeStream(true);
    const io = createIo(fakeStream(true), stderr, { NO_COLOR: '1' });
    let now = T0 + 2000;
    const reporter = createProgressReporter(io, { mode: 'bar', now: () => now });
    reporter.update(job({ progress: 0.2 }));
    now += 3000; // 3 s of a 10 s mean: the bar runs ahead to 50 %
    reporter.printOut('redraw');
    reporter.update(job({ progress: 0.3, stage: 'voicing', version: 2 }));
    now += 1000;
    reporter.printOut('redraw');
    reporter.stop();
    const percents = [...stderr.text.matchAll(/(\d+)%/g)].map((m) => Number(m[1]));
    // Old code: 20, 50, 30, 40 — back to the reading. Now it waits at 50 % until the job catches up.
    expect(percents).toEqual([20, 50, 50, 50]);
  });

  it('writes stdout lines without tearing the bar', () => {
    const stdout = fakeStream(true);
    const stderr = fakeStream(true);
    const io = createIo(stdout, stderr, { NO_COLOR: '1' });
    const reporter = createProgressReporter(io, { mode: 'bar', now: () => T0 });
    reporter.update(job());
    reporter.printOut('a change');
    reporter.stop();
    expect(stdout.text).toBe('a change\n');
    // Cleared before the stdout line, redrawn after it, cleared at the end.
    expect(stderr.text.split('\r\x1b[2K')).toHaveLength(5);
  });
});

describe('plain lines and colour', () => {
  it('prints one line per status or stage change when stderr is not a terminal', () => {
    const stderr = fakeStream(false);
    const io = createIo(fakeStream(false), stderr, {});
    const reporter = createProgressReporter(io, { mode: 'lines', now: () => T0 + 500 });
    reporter.update(job(), { attempt: 2, elapsedMs: 0, transport: 'long-poll' });
    reporter.update(job({ progress: 0.3 }), { attempt: 3, elapsedMs: 0, transport: 'long-poll' });
    reporter.stop();
    expect(stderr.text).toBe(
      '+0ms  job_aaaaaaaaaaaaaaaaaaaa  pending  transcribing  20%  ETA ~9.5s  (request 2, long-poll)\n',
    );
  });

  it('colours only terminals, and never with NO_COLOR', () => {
    expect(createIo(fakeStream(true), fakeStream(true), {}).paintErr('red', 'x')).toBe(
      '\x1b[31mx\x1b[39m',
    );
    expect(
      createIo(fakeStream(true), fakeStream(true), { NO_COLOR: '1' }).paintErr('red', 'x'),
    ).toBe('x');
    expect(createIo(fakeStream(false), fakeStream(false), {}).paintOut('red', 'x')).toBe('x');
    expect(
      createIo(fakeStream(true), fakeStream(true), { TERM: 'dumb' }).paintOut('red', 'x'),
    ).toBe('x');
  });
});

describe('formatDuration', () => {
  it.each([
    [850, '850ms'],
    [4200, '4.2s'],
    [185_000, '3m 05s'],
    [7_800_000, '2h 10m'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
