/**
 * Turns what a runtime's `fetch` throws into a `NetworkError` whose message names the server and
 * the reason. Each runtime says it differently (measured with Node 20, Bun 1.4 and Deno 2.9 against
 * a closed port, an unknown host and a reset connection):
 *
 * - Node (undici): `TypeError: fetch failed`, the reason one `cause` deeper
 *   (`connect ECONNREFUSED 127.0.0.1:3999`, `code: 'ECONNREFUSED'`); a body cut short is
 *   `TypeError: terminated` caused by `SocketError: other side closed`.
 * - Bun: the `TypeError` itself carries `code: 'ECONNREFUSED'` (`ENOTFOUND`, `ECONNRESET`).
 * - Deno: no code, only words one `cause` deeper (`… tcp connect error: Connection refused (os
 *   error 111)`, `dns error: failed to lookup address information`, `Connection reset by peer`).
 * - Browsers: `Failed to fetch` (Chromium), `NetworkError when attempting to fetch resource.`
 *   (Firefox), `Load failed` (Safari) — deliberately no reason: a refused connection and a
 *   request refused by CORS look alike to the page.
 */
import { NetworkError } from '../errors/network-error.js';
import { TimeoutError } from '../errors/timeout-error.js';

/** The request a failure is about. */
export interface RequestTarget {
  readonly method: string;
  readonly url: URL;
}

/** Codes meaning the server was never reached (the request was not sent). */
const UNREACHED: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

/** Words (Deno's, the operating system's) that mean a well-known error code. */
const CODES_BY_WORDS: readonly (readonly [RegExp, string])[] = [
  [/connection refused/i, 'ECONNREFUSED'],
  [/connection reset/i, 'ECONNRESET'],
  [
    /dns error|failed to lookup address|name or service not known|nodename nor servname/i,
    'ENOTFOUND',
  ],
  [/network is unreachable/i, 'ENETUNREACH'],
  [/no route to host/i, 'EHOSTUNREACH'],
  [/broken pipe/i, 'EPIPE'],
];

/** Messages that say a request failed without saying why. */
const SAYS_NOTHING =
  /^(fetch failed|failed to fetch|load failed|terminated|network ?error( when attempting to fetch resource\.?)?|type ?error)$/i;

/** An error code the way Node and Bun spell them (`ECONNREFUSED`, `EAI_AGAIN`). */
const ERRNO_CODE = /^E[A-Z0-9_]{2,}$/;

const MAX_REASON_LENGTH = 200;
const MAX_DEPTH = 8;

/** `error`, its `cause`s and the members of any `AggregateError` among them, outermost first. */
function errorChain(error: unknown): Error[] {
  const chain: Error[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (!(value instanceof Error) || depth > MAX_DEPTH || chain.includes(value)) return;
    chain.push(value);
    if (value instanceof AggregateError) {
      for (const member of value.errors as unknown[]) visit(member, depth + 1);
    }
    visit(value.cause, depth + 1);
  };
  visit(error, 0);
  return chain;
}

function codeOf(error: Error): string | undefined {
  const { code } = error as { code?: unknown };
  return typeof code === 'string' && ERRNO_CODE.test(code) ? code : undefined;
}

/**
 * Why a request failed, as far as the runtime said: an error code (`ECONNREFUSED`, `ENOTFOUND`,
 * `ECONNRESET`…, also read from Deno's words), else the innermost message that says something
 * (`other side closed`, `self-signed certificate`); `undefined` when the runtime said nothing (a
 * browser).
 */
export function failureReason(error: unknown): string | undefined {
  const chain = errorChain(error);
  for (const link of chain) {
    const code = codeOf(link);
    if (code !== undefined) return code;
  }
  for (const link of chain) {
    for (const [words, code] of CODES_BY_WORDS) if (words.test(link.message)) return code;
  }
  for (const link of [...chain].reverse()) {
    const message = link.message.trim();
    if (message !== '' && !SAYS_NOTHING.test(message)) return message.slice(0, MAX_REASON_LENGTH);
  }
  return undefined;
}

/** `GET /v1/jobs/job_…` (the path only: a batch's ids would make the message unreadable). */
export function describeTarget(target: RequestTarget): string {
  return `${target.method} ${target.url.pathname}`;
}

/** What the runtime said when it gave no reason (`Failed to fetch`), for the message. */
function outermostWords(error: unknown): string {
  const [outermost] = errorChain(error);
  return outermost === undefined ? String(error) : outermost.message;
}

/** A request that got no answer: `Cannot reach http://127.0.0.1:3999 (ECONNREFUSED) for GET /v1/jobs/…`. */
export function requestFailedError(target: RequestTarget, error: unknown): NetworkError {
  const reason = failureReason(error);
  const { origin } = target.url;
  const what = describeTarget(target);
  let message: string;
  if (reason === undefined) {
    message =
      `Cannot reach ${origin} for ${what} (no reason given, only "${outermostWords(error)}": ` +
      'the server may be down or unreachable, or not allow this origin (CORS))';
  } else if (UNREACHED.has(reason)) {
    message = `Cannot reach ${origin} (${reason}) for ${what}`;
  } else {
    message = `No answer from ${origin} to ${what} (${reason})`;
  }
  return new NetworkError(message, { cause: error, url: target.url.href, reason });
}

/** An answer whose body broke off: `The answer from http://… to GET /v1/jobs broke off (ECONNRESET)`. */
export function bodyFailedError(target: RequestTarget, error: unknown): NetworkError {
  const reason = failureReason(error);
  return new NetworkError(
    `The answer from ${target.url.origin} to ${describeTarget(target)} broke off (${reason ?? 'no reason given'})`,
    { cause: error, url: target.url.href, reason },
  );
}

/** A request over its time: `No answer from http://… to GET /v1/jobs/… within 15000 ms`. */
export function requestTimeoutError(target: RequestTarget, timeoutMs: number): TimeoutError {
  return new TimeoutError(timeoutMs, {
    message: `No answer from ${target.url.origin} to ${describeTarget(target)} within ${timeoutMs} ms`,
    url: target.url.href,
  });
}
