/** Header parsing for waiting: RFC 7240 `Prefer: wait`, weak ETags and `If-None-Match`. */

/** The longest hold: load balancers commonly cut idle requests at 60 s. */
export const MAX_WAIT_S = 50;

/** `wait=N` from a `Prefer` header; `undefined` when absent or malformed (a bad Prefer is ignored). */
export function parsePreferWait(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header.join(',') : header;
  for (const part of text.split(',')) {
    const m = /^\s*wait\s*=\s*"?(\d{1,9})"?\s*(?:;.*)?$/i.exec(part);
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** The weak ETag of a job version. */
export function jobEtag(version: number): string {
  return `W/"${version}"`;
}

/** Opaque tags listed in `If-None-Match` (weak comparison: `W/` is dropped); `*` matches anything. */
export function parseIfNoneMatch(header: string | undefined): string[] | undefined {
  if (header === undefined) return undefined;
  const tags: string[] = [];
  for (const m of header.matchAll(/\s*(\*|(?:W\/)?"[^"]*")\s*(?:,|$)/g)) {
    tags.push((m[1] ?? '').replace(/^W\//, ''));
  }
  return tags.length > 0 ? tags : undefined;
}

export function etagMatches(tags: readonly string[] | undefined, etag: string): boolean {
  if (!tags) return false;
  const opaque = etag.replace(/^W\//, '');
  return tags.some((t) => t === '*' || t === opaque);
}

/** The version an `If-None-Match` names, when it names exactly one job version. */
export function versionFromTags(tags: readonly string[] | undefined): number | undefined {
  if (tags?.length !== 1) return undefined;
  const m = /^"(\d{1,9})"$/.exec(tags[0] ?? '');
  return m ? Number(m[1]) : undefined;
}

/** `Retry-After` seconds for a pending job: time to its eta, at least 1 (RFC 9110 §10.2.3). */
export function retryAfterSeconds(etaAt: number, now: number): number {
  return Math.max(1, Math.ceil((etaAt - now) / 1000));
}
