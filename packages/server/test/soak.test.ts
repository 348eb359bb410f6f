/**
 * The 60-second soak inside `npm test` (issue 8): `scripts/soak.ts` for SOAK_MS of mixed loopback
 * load (default 60 s; `npm run soak` runs minutes). The server runs in a child process with
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
      // The load made the server hold requests and streams at some point.
      expect(report.during.waiters + report.during.fds, summary.join('\n')).toBeGreaterThan(0);
      for (const check of report.checks) expect(check.ok, summary.join('\n')).toBe(true);
    },
    SOAK_MS + 60_000,
  );
});
