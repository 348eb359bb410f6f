/** The webhook settings' parsers and checks, used by `config.ts`'s one table of variables. */
import { ConfigError } from '../config-parse.js';
import { normalizeHost } from './address-guard.js';
import { secretProblem } from './signature.js';

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;

/** 5s, 30s, 2m, 15m, 1h, 3h, 6h, 12h: nine attempts over about 22 hours. */
export const DEFAULT_WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [
  5 * SECOND_MS,
  30 * SECOND_MS,
  2 * MINUTE_MS,
  15 * MINUTE_MS,
  HOUR_MS,
  3 * HOUR_MS,
  6 * HOUR_MS,
  12 * HOUR_MS,
];
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10 * SECOND_MS;
/** The delivery worker looks for due deliveries at least this often (it is also woken on writes). */
export const DEFAULT_WEBHOOK_POLL_INTERVAL_MS = SECOND_MS;
export const MAX_WEBHOOK_TIMEOUT_MS = 5 * MINUTE_MS;

export interface WebhookConfig {
  webhookSecret: string | undefined;
  webhookRetryDelaysMs: number[];
  webhookTimeoutMs: number;
  webhookAllowHosts: string[];
  webhookPollIntervalMs: number;
}

/** `VT_WEBHOOK_SECRET`: `whsec_` + base64 of ≥ 24 bytes. The value is never echoed. */
export function parseWebhookSecret(name: string, raw: string): string {
  const problem = secretProblem(raw.trim());
  if (problem) throw new ConfigError(name, '<hidden>', problem);
  return raw.trim();
}

/** `VT_WEBHOOK_ALLOW_HOSTS`: comma-separated host names or IP addresses, e.g. `127.0.0.1,localhost`. */
export function parseAllowHosts(name: string, raw: string): string[] {
  const hosts = raw
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  for (const host of hosts) {
    if (!/^\[?[A-Za-z0-9.:_-]+\]?$/.test(host)) {
      throw new ConfigError(
        name,
        raw,
        'expected comma-separated host names or IP addresses, e.g. 127.0.0.1,localhost',
      );
    }
  }
  return hosts.map(normalizeHost);
}

/** Checks webhook settings given in code (`startServer({...})`), naming the bad field. */
export function checkWebhookConfig(config: WebhookConfig): void {
  if (config.webhookSecret !== undefined) parseWebhookSecret('webhookSecret', config.webhookSecret);
  const delays = config.webhookRetryDelaysMs;
  if (!Array.isArray(delays) || delays.some((d) => !Number.isFinite(d) || d < 1)) {
    throw new ConfigError(
      'webhookRetryDelaysMs',
      String(delays),
      'expected an array of delays, each at least 1 ms',
    );
  }
  const timeout = config.webhookTimeoutMs;
  if (!Number.isFinite(timeout) || timeout < 1 || timeout > MAX_WEBHOOK_TIMEOUT_MS) {
    throw new ConfigError(
      'webhookTimeoutMs',
      String(timeout),
      `expected a number from 1 to ${MAX_WEBHOOK_TIMEOUT_MS}`,
    );
  }
  const poll = config.webhookPollIntervalMs;
  if (!Number.isFinite(poll) || poll < 1) {
    throw new ConfigError('webhookPollIntervalMs', String(poll), 'expected at least 1 ms');
  }
}
