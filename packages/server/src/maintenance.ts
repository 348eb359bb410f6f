/** Periodic housekeeping: finished jobs, idempotency keys and events older than the retention. */
import type { AppContext } from './context.js';

const MAX_PURGE_INTERVAL_MS = 3_600_000;
const PURGE_FRACTION_OF_RETENTION = 10;

export function startRetention(
  ctx: AppContext,
  log: { warn: (obj: object, msg: string) => void },
): () => void {
  const purge = () => {
    ctx.store
      .purgeExpired(ctx.clock.now() - ctx.config.retentionMs, [])
      .catch((err: unknown) => log.warn({ err }, 'purging expired jobs failed'));
  };
  const intervalMs = Math.min(
    MAX_PURGE_INTERVAL_MS,
    Math.ceil(ctx.config.retentionMs / PURGE_FRACTION_OF_RETENTION),
  );
  const timer = setInterval(purge, intervalMs);
  timer.unref();
  purge();
  return () => clearInterval(timer);
}
