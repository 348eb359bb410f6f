/**
 * Periodic housekeeping: finished jobs, idempotency keys and events older than the retention. One
 * sweep at a time: the next is timed from the end of the previous, so a long sweep (the store
 * works in small batches, yielding between them) never overlaps the next.
 */
import type { AppContext } from './context.js';

const MAX_PURGE_INTERVAL_MS = 3_600_000;
const PURGE_FRACTION_OF_RETENTION = 10;

export function startRetention(
  ctx: AppContext,
  log: { warn: (obj: object, msg: string) => void },
): () => void {
  const intervalMs = Math.min(
    MAX_PURGE_INTERVAL_MS,
    Math.ceil(ctx.config.retentionMs / PURGE_FRACTION_OF_RETENTION),
  );
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const sweep = async () => {
    try {
      await ctx.store.purgeExpired(ctx.clock.now() - ctx.config.retentionMs, []);
    } catch (err) {
      if (!stopped) log.warn({ err }, 'purging expired jobs failed');
    }
    if (stopped) return;
    timer = setTimeout(() => void sweep(), intervalMs);
    timer.unref();
  };
  void sweep();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
