import { describe, expect, it } from 'vitest';
import {
  formatJobEtag,
  parseIsoMs,
  parseJobEtagVersion,
  parsePreferenceAppliedWaitS,
  parseRetryAfterMs,
} from '../src/internal/headers.js';

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2026-01-01T00:00:00.000Z');

  it('reads delay-seconds', () => {
    expect(parseRetryAfterMs('3', now)).toBe(3000);
    expect(parseRetryAfterMs(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP-date relative to now, never negative', () => {
    expect(parseRetryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfterMs('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
  });

  it('ignores absent and malformed values', () => {
    expect(parseRetryAfterMs(null, now)).toBeUndefined();
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect(parseRetryAfterMs('-1', now)).toBeUndefined();
  });
});

describe('parsePreferenceAppliedWaitS', () => {
  it('finds wait=N among other preferences', () => {
    expect(parsePreferenceAppliedWaitS('wait=30')).toBe(30);
    expect(parsePreferenceAppliedWaitS('return=minimal, wait=5')).toBe(5);
    expect(parsePreferenceAppliedWaitS('wait="7"')).toBe(7);
  });

  it('returns undefined when the wait was not applied', () => {
    expect(parsePreferenceAppliedWaitS(null)).toBeUndefined();
    expect(parsePreferenceAppliedWaitS('return=minimal')).toBeUndefined();
    expect(parsePreferenceAppliedWaitS('nowait=3')).toBeUndefined();
  });
});

describe('job ETags', () => {
  it('round-trips a version through a weak ETag', () => {
    expect(formatJobEtag(3)).toBe('W/"3"');
    expect(parseJobEtagVersion('W/"3"')).toBe(3);
    expect(parseJobEtagVersion('"4"')).toBe(4);
    expect(parseJobEtagVersion('W/"abc"')).toBeUndefined();
    expect(parseJobEtagVersion(null)).toBeUndefined();
  });
});

describe('parseIsoMs', () => {
  it('parses ISO timestamps and rejects the rest', () => {
    expect(parseIsoMs('2026-01-01T00:00:00.250Z')).toBe(Date.parse('2026-01-01T00:00:00.250Z'));
    expect(parseIsoMs('nope')).toBeUndefined();
    expect(parseIsoMs(null)).toBeUndefined();
  });
});
