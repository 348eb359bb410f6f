/** Short human texts for times, durations and ids. */

/** "850 ms", "12 s", "3 min", "2 h", "4 d". */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(abs)} ms`;
  if (abs < 60_000) return `${Math.round(abs / 1000)} s`;
  if (abs < 3_600_000) return `${Math.round(abs / 60_000)} min`;
  if (abs < 86_400_000) return `${Math.round(abs / 3_600_000)} h`;
  return `${Math.round(abs / 86_400_000)} d`;
}

/** Time since an ISO instant, e.g. "12 s". */
export function formatAge(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '—';
  const ms = Math.max(0, now - t);
  return ms < 1000 ? '<1 s' : formatDuration(ms);
}

/** Time until an ISO instant: "in 8 s", or "due" once it has passed. */
export function formatEta(iso: string | null, now: number): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '—';
  return t - now > 500 ? `in ${formatDuration(t - now)}` : 'due';
}

/** Wall-clock time with milliseconds, e.g. "14:03:07.512". */
export function formatClock(msOrIso: number | string): string {
  const d = new Date(msOrIso);
  if (Number.isNaN(d.getTime())) return '—';
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function formatPercent(fraction: number): string {
  return `${Math.round(Math.max(0, Math.min(1, fraction)) * 100)}%`;
}

/** "lip_syncing" → "lip syncing". */
export function formatStage(stage: string | null): string {
  return stage ? stage.replace(/_/g, ' ') : '—';
}
