import { describe, expect, it } from 'vitest';
import { DEFAULTS, VtransClient } from '@vtrans/client';
import { normaliseClientOptions, normaliseWaitOptions } from '../src/options.js';

describe('option validation', () => {
  it('quotes the bad value and the allowed range', () => {
    expect(() => new VtransClient({ baseUrl: 'http://x', requestTimeoutMs: -1 })).toThrow(
      'Invalid option "requestTimeoutMs": expected a number between 1 and 2147483647, got -1',
    );
  });

  it('applies every default', () => {
    const resolved = normaliseClientOptions({ baseUrl: 'http://localhost:3000/api' });
    expect(resolved.baseUrl.href).toBe('http://localhost:3000/api/');
    expect(resolved.requestTimeoutMs).toBe(DEFAULTS.requestTimeoutMs);
    expect(resolved.retry).toEqual(DEFAULTS.retry);
    const wait = normaliseWaitOptions();
    expect(wait).toMatchObject({ timeoutMs: 600_000, strategy: 'auto', poll: DEFAULTS.poll });
  });

  it.each([
    [{ baseUrl: 'not a url' }, 'baseUrl'],
    [{ baseUrl: 'ftp://x' }, 'baseUrl'],
    [{ baseUrl: 'http://x', apiKey: '' }, 'apiKey'],
    [{ baseUrl: 'http://x', requestTimeoutMs: -1 }, 'requestTimeoutMs'],
    [{ baseUrl: 'http://x', requestTimeoutMs: Number.NaN }, 'requestTimeoutMs'],
    [{ baseUrl: 'http://x', retry: { maxRetries: -1 } }, 'retry.maxRetries'],
    [{ baseUrl: 'http://x', retry: { budget: { capacity: 0 } } }, 'retry.budget.capacity'],
    [
      { baseUrl: 'http://x', retry: { budget: { refillPerSuccess: -1 } } },
      'retry.budget.refillPerSuccess',
    ],
    [{ baseUrl: 'http://x', fetch: 'nope' }, 'fetch'],
  ])('names the bad client option in %j', (options, name) => {
    expect(() => new VtransClient(options as never)).toThrow(
      new RegExp(`"${name.replace('.', '\\.')}"`),
    );
  });

  it.each([
    [{ timeoutMs: -5 }, 'timeoutMs'],
    [{ timeoutMs: 2 ** 31 }, 'timeoutMs'],
    [{ strategy: 'carrier-pigeon' }, 'strategy'],
    [{ poll: { minIntervalMs: 0 } }, 'poll.minIntervalMs'],
    [{ poll: { minIntervalMs: 500, maxIntervalMs: 100 } }, 'poll.maxIntervalMs'],
    [{ onUpdate: 3 }, 'onUpdate'],
    [{ signal: {} }, 'signal'],
  ])('names the bad wait option in %j before any request', (options, name) => {
    const client = new VtransClient({
      baseUrl: 'http://127.0.0.1:9',
      fetch: () => Promise.reject(new Error('no request expected')),
    });
    expect(() => client.waitForJob('job_x', options as never)).toThrow(TypeError);
    expect(() => normaliseWaitOptions(options as never)).toThrow(name);
  });
});
