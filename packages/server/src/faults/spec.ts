/**
 * `VT_FAULTS`: which faults the server injects into its own answers, for people testing how their
 * clients cope. A comma-separated list of `name=value` parts, e.g.
 * `503=0.1,500=0.05,reset=0.05,truncate=0.05,latency=50-200ms,retry-after=1`.
 */
import { ConfigError } from '../config-parse.js';

/** Injected answers with an HTTP error status: a share of requests and the status sent. */
export interface StatusFault {
  status: number;
  probability: number;
}

export interface FaultSpec {
  /** Shares of answers replaced by an error status (429 or 5xx), before the route runs. */
  statuses: StatusFault[];
  /** Share of answers whose connection is reset: before, at, or partway through the answer. */
  resetProbability: number;
  /** Share of answers that declare their full `Content-Length`, send a part, then close. */
  truncateProbability: number;
  /** Added latency before every affected request is handled; `[min, max]` in ms (equal when fixed). */
  latencyMs: [number, number] | undefined;
  /** `Retry-After` seconds sent with injected error statuses; `undefined` sends none. */
  retryAfterS: number | undefined;
  /** Methods that receive faults; `undefined` means every method. */
  methods: string[] | undefined;
}

/** The largest added latency: a minute, above any hold, so a typo cannot wedge a server. */
export const MAX_FAULT_LATENCY_MS = 60_000;
const MAX_RETRY_AFTER_S = 3600;
const ALLOWED =
  'expected comma-separated parts like 503=0.1, 500=0.05, 429=0.05, reset=0.05, truncate=0.05, latency=200ms or latency=50-200ms, retry-after=1, methods=GET|POST (shares from 0 to 1, adding up to at most 1)';

const DURATION = /^(\d+(?:\.\d+)?)(ms|s)?$/;

function parseLatencyMs(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  const ms = Number(m[1]) * (m[2] === 's' ? 1000 : 1);
  return Number.isFinite(ms) && ms <= MAX_FAULT_LATENCY_MS ? Math.round(ms) : undefined;
}

function parseShare(text: string): number | undefined {
  if (!/^\d*(?:\.\d+)?$/.test(text) || text === '' || text === '.') return undefined;
  const n = Number(text);
  return n >= 0 && n <= 1 ? n : undefined;
}

/**
 * Parses a fault spec. An empty or `off` spec is `undefined` (no faults). Throws a one-line
 * `ConfigError` naming the part it could not read.
 */
export function parseFaultSpec(variable: string, raw: string): FaultSpec | undefined {
  const text = raw.trim();
  if (text === '' || text === 'off' || text === 'none') return undefined;
  const spec: FaultSpec = {
    statuses: [],
    resetProbability: 0,
    truncateProbability: 0,
    latencyMs: undefined,
    retryAfterS: undefined,
    methods: undefined,
  };
  const seen = new Set<string>();
  const bad = (part: string, why: string): never => {
    throw new ConfigError(variable, raw, `bad part ${JSON.stringify(part)} (${why}); ${ALLOWED}`);
  };
  for (const part of text.split(',')) {
    const trimmed = part.trim();
    const eq = trimmed.indexOf('=');
    if (eq <= 0) bad(trimmed, 'expected name=value');
    const name = trimmed.slice(0, eq).trim().toLowerCase();
    const value = trimmed.slice(eq + 1).trim();
    if (seen.has(name)) bad(trimmed, `${name} given twice`);
    seen.add(name);
    if (/^(429|5\d\d)$/.test(name)) {
      const p = parseShare(value);
      if (p === undefined) bad(trimmed, 'expected a share from 0 to 1');
      spec.statuses.push({ status: Number(name), probability: p as number });
    } else if (name === 'reset' || name === 'truncate') {
      const p = parseShare(value);
      if (p === undefined) bad(trimmed, 'expected a share from 0 to 1');
      if (name === 'reset') spec.resetProbability = p as number;
      else spec.truncateProbability = p as number;
    } else if (name === 'latency') {
      const range = /^([^-]+)-([^-]+)$/.exec(value);
      const unit = /(ms|s)$/.exec(value)?.[1] ?? '';
      // `50-200ms`: the unit after the range applies to both ends.
      const lo = parseLatencyMs(
        range ? `${range[1]}${/(ms|s)$/.test(range[1] ?? '') ? '' : unit}` : value,
      );
      const hi = range ? parseLatencyMs(range[2] ?? '') : lo;
      if (lo === undefined || hi === undefined || hi < lo) {
        bad(
          trimmed,
          `expected a duration like 200ms or a range like 50-200ms, up to ${MAX_FAULT_LATENCY_MS} ms`,
        );
      }
      spec.latencyMs = [lo as number, hi as number];
    } else if (name === 'retry-after') {
      if (!/^\d{1,4}$/.test(value) || Number(value) > MAX_RETRY_AFTER_S) {
        bad(trimmed, `expected whole seconds from 0 to ${MAX_RETRY_AFTER_S}`);
      }
      spec.retryAfterS = Number(value);
    } else if (name === 'methods') {
      const methods = value.split('|').map((m) => m.trim().toUpperCase());
      if (methods.some((m) => !/^[A-Z]{3,7}$/.test(m)))
        bad(trimmed, 'expected methods like GET|POST');
      spec.methods = methods;
    } else {
      bad(trimmed, `unknown fault ${JSON.stringify(name)}`);
    }
  }
  const total =
    spec.statuses.reduce((sum, s) => sum + s.probability, 0) +
    spec.resetProbability +
    spec.truncateProbability;
  if (total > 1 + 1e-9) {
    throw new ConfigError(variable, raw, `the shares add up to ${total}, more than 1; ${ALLOWED}`);
  }
  return spec;
}
