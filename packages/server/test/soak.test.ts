/**
 * The 60-second soak inside `npm test`: `packages/test-support/src/soak.ts` for SOAK_MS of mixed loopback load
 * (default 60 s; `npm run soak` runs minutes). The server runs in a child process with
 * `--expose-gc` and reports its own heap, file descriptors, handles and held waiters over IPC.
 * The test's timeout is the load plus a minute for warm-up, settling and measuring.
 */
import { describe, expect, it } from 'vitest';
import { runSoak } from '@vtrans/test-support';

const SOAK_MS = Number(process.env.SOAK_MS ?? 60_000);

describe('soak', () => {
  it(
    'returns to its baseline after mixed load: heap, file descriptors, handles, waiters',
    async () => {
      const report = await runSoak({ durationMs: SOAK_MS, virtualUsers: 20 });
      const summary = report.checks.map((c) => `${c.ok ? 'ok' : 'FAIL'} ${c.name}: ${c.detail}`);
      // Every kind of operation ran, so the load really was mixed.
      expect(Object.keys(report.operations).length, JSON.stringify(report.operations)).toBe(7);
      // Every claim of the soak, among them that the load held waiters and opened connections
      // (so that their return to the baseline is not vacuous).
      expect(report.checks.map((c) => c.name)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^the load held requests and streams/),
          expect.stringMatching(/^the load opened connections/),
          expect.stringMatching(/^heap after GC/),
          expect.stringMatching(/^open file descriptors/),
          expect.stringMatching(/^held waiters return to zero/),
          expect.stringMatching(/^no operation failed/),
        ]),
      );
      for (const check of report.checks) expect(check.ok, summary.join('\n')).toBe(true);
    },
    SOAK_MS + 60_000,
  );
});
