/**
 * The server-side request forgery guard: which addresses a webhook may never reach, and the checks
 * a `callback_url` passes at job creation. At delivery the sender resolves the name and checks
 * every address with `forbiddenAddressReason` before connecting to the one it checked.
 */
import { isIP } from 'node:net';

/** Longest `callback_url` accepted. */
export const MAX_CALLBACK_URL_LENGTH = 2048;

const ALLOWED_PROTOCOLS = ['http:', 'https:'];

interface V4Range {
  base: number;
  prefix: number;
  reason: string;
}

const v4 = (cidr: string, reason: string): V4Range => {
  const [addr = '', prefix = '32'] = cidr.split('/');
  return { base: ipv4ToInt(addr) ?? 0, prefix: Number(prefix), reason };
};

/** Checked in order: the more specific (metadata) before the range that holds it. */
const V4_RANGES: readonly V4Range[] = [
  v4('169.254.169.254/32', 'a cloud metadata address'),
  v4('0.0.0.0/8', 'an unspecified address'),
  v4('127.0.0.0/8', 'a loopback address'),
  v4('10.0.0.0/8', 'a private address'),
  v4('172.16.0.0/12', 'a private address'),
  v4('192.168.0.0/16', 'a private address'),
  v4('169.254.0.0/16', 'a link-local address'),
  v4('100.64.0.0/10', 'a carrier-grade NAT address'),
  v4('192.0.0.0/24', 'a reserved address'),
  v4('198.18.0.0/15', 'a reserved address'),
  v4('224.0.0.0/4', 'a multicast address'),
  v4('240.0.0.0/4', 'a reserved address'),
];

/** `a.b.c.d` as an unsigned 32-bit integer; `undefined` unless four decimal octets. */
export function ipv4ToInt(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    n = n * 256 + Number(part);
  }
  return n;
}

/** An IPv6 address as eight 16-bit groups (an embedded dotted IPv4 tail allowed). */
export function ipv6ToGroups(address: string): number[] | undefined {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail?.[1]) {
    const n = ipv4ToInt(tail[1]);
    if (n === undefined) return undefined;
    text = `${text.slice(0, -tail[1].length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)));
  const head = parse(halves[0] ?? '');
  const rest = halves.length === 2 ? parse(halves[1] ?? '') : [];
  const fill = 8 - head.length - rest.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return undefined;
  const groups = [...head, ...Array<number>(halves.length === 2 ? fill : 0).fill(0), ...rest];
  return groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

function v4Reason(n: number): string | undefined {
  for (const range of V4_RANGES) {
    const size = 2 ** (32 - range.prefix);
    if (n >= range.base && n < range.base + size) return range.reason;
  }
  return undefined;
}

const embeddedV4 = (g: number[]) => (g[6] ?? 0) * 65_536 + (g[7] ?? 0);

function v6Reason(g: number[]): string | undefined {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const zeroTo = (end: number) => g.slice(0, end).every((x) => x === 0);
  if (g0 === 0xfd00 && g1 === 0x0ec2 && g2 + g3 + g4 + g5 + g6 === 0 && g7 === 0x254)
    return 'a cloud metadata address';
  if (zeroTo(8)) return 'an unspecified address';
  if (zeroTo(7) && g7 === 1) return 'a loopback address';
  if (zeroTo(5) && g5 === 0xffff) return 'an IPv4-mapped IPv6 address';
  if (zeroTo(6)) return 'an IPv4-compatible IPv6 address';
  // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address: judge that one.
  if (g0 === 0x64 && g1 === 0xff9b && g2 + g3 + g4 + g5 === 0) {
    const inner = v4Reason(embeddedV4(g));
    return inner && `a NAT64 address of ${inner}`;
  }
  if (g0 === 0x2002) {
    const inner = v4Reason(g1 * 65_536 + g2);
    return inner && `a 6to4 address of ${inner}`;
  }
  if ((g0 & 0xfe00) === 0xfc00) return 'a private (unique local) address';
  if ((g0 & 0xffc0) === 0xfe80) return 'a link-local address';
  if ((g0 & 0xffc0) === 0xfec0) return 'a private (site-local) address';
  if ((g0 & 0xff00) === 0xff00) return 'a multicast address';
  return undefined;
}

/**
 * Why a webhook may not connect to this IP address (`'a private address'`, …), or `undefined` when
 * it may. Anything that is not a valid IP address is refused.
 */
export function forbiddenAddressReason(address: string): string | undefined {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family === 4) return v4Reason(ipv4ToInt(bare) ?? 0);
  if (family === 6) {
    const groups = ipv6ToGroups(bare);
    return groups ? v6Reason(groups) : 'not a valid IP address';
  }
  return 'not a valid IP address';
}

/** A host as compared with `VT_WEBHOOK_ALLOW_HOSTS`: lower case, IPv6 brackets and final dot dropped. */
export function normalizeHost(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
}

/** Whether the guard is waived for this host (an explicit setting, e.g. loopback for tests). */
export function isAllowedHost(host: string, allowHosts: readonly string[]): boolean {
  const h = normalizeHost(host);
  return allowHosts.some((a) => normalizeHost(a) === h);
}

/**
 * Checks a `callback_url` as given at job creation: length, an absolute http(s) URL, no
 * credentials, and — for IP literals (in any form the WHATWG URL parser normalizes, such as
 * `http://2130706433`) and `localhost` names — an address a webhook may reach. Returns the reason
 * it is refused, or `undefined` when it is accepted. Names are resolved and checked at delivery.
 */
export function callbackUrlProblem(raw: string, allowHosts: readonly string[]): string | undefined {
  if (raw.length > MAX_CALLBACK_URL_LENGTH)
    return `is longer than ${MAX_CALLBACK_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not an absolute URL';
  }
  if (!ALLOWED_PROTOCOLS.includes(url.protocol))
    return `uses ${url.protocol} — only http: and https: are allowed`;
  if (url.username !== '' || url.password !== '')
    return 'contains credentials (user:password@); put secrets in the path or verify signatures instead';
  const host = normalizeHost(url.hostname);
  if (host === '') return 'has no host';
  if (isAllowedHost(host, allowHosts)) return undefined;
  if (host === 'localhost' || host.endsWith('.localhost'))
    return `points at ${host}, a loopback name`;
  if (isIP(host) !== 0) {
    const reason = forbiddenAddressReason(host);
    if (reason) return `points at ${host}, ${reason}`;
  }
  return undefined;
}
