/** A stored job record for store-level tests: pending, finishing a second after `T0`, tenant acme. */
import type { JobRecord } from '../../src/sim/job-model.js';

export const T0 = Date.UTC(2026, 0, 1);

export function jobRecord(id: string, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    id,
    tenant: 'acme',
    sourceUrl: null,
    targetLanguage: null,
    callbackUrl: null,
    callbackEvents: null,
    createdAt: T0,
    etaAt: T0 + 1000,
    finishAt: T0 + 1000,
    outcome: 'completed',
    errorCode: null,
    errorMessage: null,
    canceledAt: null,
    emittedStep: 0,
    ...overrides,
  };
}
