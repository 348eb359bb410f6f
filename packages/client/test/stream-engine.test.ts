/**
 * The event-stream engine catches only what it expects — transient failures (retried) and its own
 * stop (the end) — so a bug in what it calls surfaces instead of silently ending the stream and
 * leaving every wait on it blind until its deadline.
 */
import { describe, expect, it } from 'vitest';
import { systemClock, systemRandom } from '../src/internal/clock.js';
import type { ClientContext } from '../src/internal/http.js';
import { normaliseClientOptions } from '../src/options.js';
import { StreamEngine, type StreamEngineConfig } from '../src/wait/stream-engine.js';
import { freePort } from '@vtrans/test-support';

function contextFor(baseUrl: string): ClientContext {
  return {
    options: normaliseClientOptions({ baseUrl, retry: { baseDelayMs: 1, budget: false } }),
    clock: systemClock,
    random: systemRandom,
    budget: undefined,
  };
}

function config(overrides: Partial<StreamEngineConfig>): StreamEngineConfig {
  return {
    path: 'v1/events',
    transport: 'events',
    ids: () => ['job_a'],
    catchUp: undefined,
    onJob: () => undefined,
    onNotFound: () => undefined,
    onFatal: () => undefined,
    onOutcome: () => undefined,
    ...overrides,
  };
}

describe('StreamEngine', () => {
  it('lets a bug in the fallback it runs between reconnections surface', async () => {
    const engine = new StreamEngine(
      contextFor(`http://127.0.0.1:${await freePort()}`),
      config({
        onUnavailable: () => Promise.reject(new TypeError('a bug in the fallback')),
      }),
    );
    const stop = new AbortController();
    try {
      await expect(engine.run(stop.signal)).rejects.toThrow('a bug in the fallback');
    } finally {
      stop.abort();
    }
  });

  it('ends quietly when stopped between reconnections, telling each failure meanwhile', async () => {
    const failures: unknown[] = [];
    const stop = new AbortController();
    const engine = new StreamEngine(
      contextFor(`http://127.0.0.1:${await freePort()}`),
      config({
        onOutcome: (failure) => {
          failures.push(failure);
          if (failures.length === 3) stop.abort();
        },
      }),
    );
    await expect(engine.run(stop.signal)).resolves.toBeUndefined();
    expect(failures).toHaveLength(3);
    expect(failures.every((f) => (f as { reason?: string }).reason === 'ECONNREFUSED')).toBe(true);
  });
});
