/**
 * Sends one webhook attempt, guarded against server-side request forgery: the host is resolved
 * here, every address checked, and the connection made to the address that was checked (a pinned
 * `lookup`; SNI and `Host` keep the name). Redirects are not followed — a 3xx is just not a 2xx.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import {
  callbackUrlProblem,
  forbiddenAddressReason,
  isAllowedHost,
  normalizeHost,
} from './address-guard.js';

/** Resolves a host name to all its addresses (like `dns.lookup(name, { all: true })`). */
export type ResolveAll = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const systemResolve: ResolveAll = (hostname) =>
  dnsLookup(hostname, { all: true, verbatim: true });

/** Receivers' answers are read up to this much, then the connection is dropped. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export interface SendRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Hosts the private-address guard does not apply to (`VT_WEBHOOK_ALLOW_HOSTS`). */
  allowHosts: readonly string[];
  resolve?: ResolveAll;
  /** Aborts the attempt (shutdown). */
  signal?: AbortSignal;
}

export interface SendResult {
  /** The receiver's status; `null` when no answer came. */
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** The guard refused to connect (nothing was sent). */
  isRefused: boolean;
  /** The attempt was aborted by `signal`. */
  isAborted: boolean;
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/** Picks the address to connect to, or says why none may be used. */
async function pinAddress(
  url: URL,
  allowHosts: readonly string[],
  resolve: ResolveAll,
  timeoutMs: number,
): Promise<{ address: string; family: number } | { refused: string }> {
  const host = normalizeHost(url.hostname);
  const literal = isIP(host);
  const addresses = literal
    ? [{ address: host, family: literal }]
    : await withDeadline(resolve(host), timeoutMs, `resolving ${host}`);
  const first = addresses[0];
  if (!first) return { refused: `${host} has no address` };
  if (!isAllowedHost(host, allowHosts)) {
    for (const { address } of addresses) {
      const reason = forbiddenAddressReason(address);
      if (reason) return { refused: `${host} resolves to ${address}, ${reason}` };
    }
  }
  return first;
}

/** One attempt: never throws; the outcome says what happened. */
export async function sendWebhook(req: SendRequest): Promise<SendResult> {
  const startedAt = performance.now();
  const elapsed = () => Math.round(performance.now() - startedAt);
  const fail = (error: string, flags: { isRefused?: boolean; isAborted?: boolean } = {}) => ({
    statusCode: null,
    error,
    durationMs: elapsed(),
    isRefused: flags.isRefused ?? false,
    isAborted: flags.isAborted ?? false,
  });
  const problem = callbackUrlProblem(req.url, req.allowHosts);
  if (problem) return fail(`refused: callback_url ${problem}`, { isRefused: true });
  const url = new URL(req.url);
  let pinned: { address: string; family: number };
  try {
    const pick = await pinAddress(url, req.allowHosts, req.resolve ?? systemResolve, req.timeoutMs);
    if ('refused' in pick) return fail(`refused: ${pick.refused}`, { isRefused: true });
    pinned = pick;
  } catch (err) {
    return fail(describe(err));
  }
  if (req.signal?.aborted) return fail('canceled: server shutting down', { isAborted: true });

  const host = normalizeHost(url.hostname);
  // Connect to the checked address only, whatever the name would resolve to now.
  const lookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: pinned.address, family: pinned.family }]);
    else callback(null, pinned.address, pinned.family);
  };
  const isHttps = url.protocol === 'https:';
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const request = (isHttps ? https : http).request({
      protocol: url.protocol,
      hostname: host,
      port: url.port || (isHttps ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers: { ...req.headers, host: url.host, 'content-length': Buffer.byteLength(req.body) },
      lookup,
      agent: false,
      ...(isHttps && isIP(host) === 0 ? { servername: host } : {}),
    });
    const timer = setTimeout(() => {
      request.destroy();
      finish(fail(`timed out after ${req.timeoutMs} ms`));
    }, req.timeoutMs);
    const onAbort = () => {
      request.destroy();
      finish(fail('canceled: server shutting down', { isAborted: true }));
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });
    request.on('error', (err) => finish(fail(describe(err))));
    request.on('response', (res) => {
      const statusCode = res.statusCode ?? null;
      const done = () =>
        finish({
          statusCode,
          error: null,
          durationMs: elapsed(),
          isRefused: false,
          isAborted: false,
        });
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > MAX_RESPONSE_BYTES) {
          res.destroy();
          done();
        }
      });
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });
    request.end(req.body);
  });
}
