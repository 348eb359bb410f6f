/**
 * Server configuration: one type, one set of defaults, one place that reads the environment
 * (and a `.env` file) and validates every value eagerly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  ConfigError,
  parseBoolean,
  parseDotEnv,
  parseDurationMs,
  parseIntIn,
  parseNumberIn,
  parseOneOf,
} from './config-parse.js';

import { CONFIG_VARIABLES, type ConfiguredField } from './config-variables.js';
import { parseFaultSpec } from './faults/spec.js';
import { DEFAULT_MEMORY_MAX_JOBS } from './store/memory-limits.js';
import {
  checkAccessConfig,
  parseApiKeys,
  readApiKeysFile,
  type ApiKeyEntry,
} from './access-config.js';
import { parseRateLimits } from './rate-limit/policies.js';
import type { RateLimitPolicy } from './rate-limit/types.js';

import { parseRetryDelays } from './webhooks/retry-schedule.js';
import {
  checkWebhookConfig,
  DEFAULT_WEBHOOK_POLL_INTERVAL_MS,
  DEFAULT_WEBHOOK_RETRY_DELAYS_MS,
  DEFAULT_WEBHOOK_TIMEOUT_MS,
  MAX_WEBHOOK_TIMEOUT_MS,
  parseAllowHosts,
  parseWebhookSecret,
} from './webhooks/webhook-config.js';

export { ConfigError } from './config-parse.js';
export { CONFIG_VARIABLES, type ConfigVariable } from './config-variables.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const DAY_MS = 86_400_000;
/** The largest memory store job limit accepted. */
const MAX_MEMORY_MAX_JOBS = 100_000_000;
/** Longest job a request may ask to simulate. */
export const MAX_SIMULATED_DURATION_MS = DAY_MS;

/** Everything the server can be told. Durations carry their unit. */
export interface ServerConfig {
  /** @default 3000 */
  port: number;
  /** @default '127.0.0.1' */
  host: string;
  /** Mean job duration (`TRANSLATION_DELAY`). @default 10000 */
  translationDelayMs: number;
  /** Real duration varies by up to ± this fraction of the mean. @default 0.2 */
  translationDelayJitter: number;
  /** Chance a job ends in `error`. @default 0.1 */
  errorProbability: number;
  /** Seeds the simulator's random choices; `undefined` draws a random seed. */
  seed: string | undefined;
  /** `sqlite:<path>`, `memory`, or `redis://host:port`. @default 'sqlite:./data/vtrans.db' */
  store: string;
  /** Held long polls and streams before answering at once. @default 20000 */
  maxWaiters: number;
  /** Request body limit in bytes. @default 1048576 */
  bodyLimitBytes: number;
  /** How long finished jobs and idempotency keys are kept. @default 24 h */
  retentionMs: number;
  /** Allowed browser origins; `['*']` allows any. @default [] */
  corsOrigins: string[];
  /** Trust `X-Forwarded-*` headers. @default false */
  trustProxy: boolean;
  /** How long a graceful shutdown may take. @default 10 s */
  shutdownGraceMs: number;
  /** pino log level. @default 'info' */
  logLevel: LogLevel;
  /** Pretty logs (a TTY) instead of JSON lines. @default process.stdout.isTTY */
  prettyLogs: boolean;
  /** Interval of the comment that keeps event streams alive. @default 15 s */
  sseHeartbeatMs: number;
  /** Webhook signing secret of the open tenant (`whsec_…`); generated and stored when unset. */
  webhookSecret: string | undefined;
  /** Delays between webhook attempts (± 10 % jitter). @default 5s,30s,2m,15m,1h,3h,6h,12h */
  webhookRetryDelaysMs: number[];
  /** Per-attempt timeout of a webhook delivery. @default 10 s */
  webhookTimeoutMs: number;
  /** Hosts exempt from the private-address guard, e.g. `['127.0.0.1']`. @default [] */
  webhookAllowHosts: string[];
  /** How often the delivery worker looks for due deliveries besides being woken. @default 1 s */
  webhookPollIntervalMs: number;
  /** Injected faults (`VT_FAULTS`, see `faults/spec.ts`), e.g. `503=0.1,latency=200ms`; off when unset. */
  faults: string | undefined;
  /** Headers must arrive within this (slow senders are cut). @default 10 s */
  headersTimeoutMs: number;
  /** API keys (`VT_API_KEYS=key:tenant[:tier],…`); none (and no file) = open mode. @default [] */
  apiKeys: ApiKeyEntry[];
  /** Keys read from `VT_API_KEYS_FILE` (same format, one a line, `#` comments). @default [] */
  apiKeysFromFile: ApiKeyEntry[];
  /**
   * Rate-limit tiers (`VT_RATE_LIMITS=free=60/min,pro=600/min`). Unset: with keys, the default
   * tiers; in open mode, no limit.
   */
  rateLimits: RateLimitPolicy[] | undefined;
  /** Bearer token `/metrics` requires (`VT_METRICS_TOKEN`); open when unset. */
  metricsToken: string | undefined;
  /** Held long polls plus streams one key (or, in open mode, one address) may have. @default 1000 */
  maxWaitersPerKey: number;
  /**
   * Jobs the memory store keeps at most; past it the job that finished longest ago is evicted,
   * and a new job is refused while every job is pending. @default 100000
   */
  memoryMaxJobs: number;
}

export const DEFAULT_CONFIG: ServerConfig = {
  port: 3000,
  host: '127.0.0.1',
  translationDelayMs: 10_000,
  translationDelayJitter: 0.2,
  errorProbability: 0.1,
  seed: undefined,
  store: 'sqlite:./data/vtrans.db',
  maxWaiters: 20_000,
  bodyLimitBytes: 1_048_576,
  retentionMs: DAY_MS,
  corsOrigins: [],
  trustProxy: false,
  shutdownGraceMs: 10_000,
  logLevel: 'info',
  prettyLogs: false,
  sseHeartbeatMs: 15_000,
  webhookSecret: undefined,
  webhookRetryDelaysMs: [...DEFAULT_WEBHOOK_RETRY_DELAYS_MS],
  webhookTimeoutMs: DEFAULT_WEBHOOK_TIMEOUT_MS,
  webhookAllowHosts: [],
  webhookPollIntervalMs: DEFAULT_WEBHOOK_POLL_INTERVAL_MS,
  faults: undefined,
  headersTimeoutMs: 10_000,
  apiKeys: [],
  apiKeysFromFile: [],
  rateLimits: undefined,
  metricsToken: undefined,
  maxWaitersPerKey: 1000,
  memoryMaxJobs: DEFAULT_MEMORY_MAX_JOBS,
};

type Env = Record<string, string | undefined>;

/** Validates a store spec and returns it unchanged. */
export function parseStoreSpec(name: string, raw: string): string {
  const v = raw.trim();
  if (v === 'memory') return v;
  if (/^sqlite:.+/.test(v)) return v;
  if (/^rediss?:\/\/[^/\s]+/.test(v)) return v;
  throw new ConfigError(name, raw, 'expected memory, sqlite:<path> or redis://host:port');
}

function parseOrigins(name: string, raw: string): string[] {
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const origin of list) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new ConfigError(
        name,
        raw,
        'expected * or comma-separated origins like https://app.example.com',
      );
    }
  }
  return list;
}

/**
 * How each variable's value is read, by the field it sets. Names, meanings and defaults are in
 * `config-variables.ts`; a variable there without a reader here, or a reader without a variable,
 * does not compile.
 */
const ENV_READERS: { [K in ConfiguredField]: (name: string, raw: string) => ServerConfig[K] } = {
  port: (n, r) => parseIntIn(n, r, 0, 65_535),
  host: (n, r) => {
    if (!/^[A-Za-z0-9.:[\]-]+$/.test(r.trim()))
      throw new ConfigError(n, r, 'expected a host name or IP address');
    return r.trim();
  },
  translationDelayMs: (n, r) => parseIntIn(n, r, 0, MAX_SIMULATED_DURATION_MS),
  translationDelayJitter: (n, r) => parseNumberIn(n, r, 0, 1),
  errorProbability: (n, r) => parseNumberIn(n, r, 0, 1),
  seed: (n, r) => {
    if (r.trim() === '') throw new ConfigError(n, r, 'expected a non-empty seed, e.g. 42');
    return r.trim();
  },
  store: parseStoreSpec,
  maxWaiters: (n, r) => parseIntIn(n, r, 0, 1_000_000),
  bodyLimitBytes: (n, r) => parseIntIn(n, r, 1024, 100 * 1_048_576),
  retentionMs: (n, r) => parseDurationMs(n, r, 1000, 365 * DAY_MS),
  corsOrigins: parseOrigins,
  trustProxy: parseBoolean,
  shutdownGraceMs: (n, r) => parseDurationMs(n, r, 0, 10 * 60_000),
  logLevel: (n, r) => parseOneOf(n, r.toLowerCase(), LOG_LEVELS),
  webhookSecret: parseWebhookSecret,
  webhookRetryDelaysMs: parseRetryDelays,
  webhookTimeoutMs: (n, r) => parseDurationMs(n, r, 1, MAX_WEBHOOK_TIMEOUT_MS),
  webhookAllowHosts: parseAllowHosts,
  faults: (n, r) => (parseFaultSpec(n, r) ? r.trim() : undefined),
  apiKeys: (n, r) => parseApiKeys(n, r),
  apiKeysFromFile: readApiKeysFile,
  rateLimits: parseRateLimits,
  metricsToken: (n, r) => {
    if (!/^[\x21-\x7e]{8,256}$/.test(r.trim()))
      throw new ConfigError(n, '<hidden>', 'expected 8 to 256 visible ASCII characters');
    return r.trim();
  },
  maxWaitersPerKey: (n, r) => parseIntIn(n, r, 0, 1_000_000),
  memoryMaxJobs: (n, r) => parseIntIn(n, r, 1, MAX_MEMORY_MAX_JOBS),
};

/** Sets `field` of `config` from the raw value of its variable. */
function readVariable<K extends ConfiguredField>(
  config: ServerConfig,
  field: K,
  variable: string,
  raw: string,
): void {
  config[field] = ENV_READERS[field](variable, raw);
}

/**
 * Reads the configuration from `env`, with a `.env` file in `cwd` underneath it (the real
 * environment wins). Throws `ConfigError` with one line naming the variable on a bad value.
 */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): ServerConfig {
  const dotEnvPath = resolve(cwd, '.env');
  const fileEnv = existsSync(dotEnvPath) ? parseDotEnv(readFileSync(dotEnvPath, 'utf8')) : {};
  const merged: Env = { ...fileEnv, ...env };
  const config: ServerConfig = { ...DEFAULT_CONFIG, prettyLogs: Boolean(process.stdout.isTTY) };
  for (const { variable, field } of CONFIG_VARIABLES) {
    const raw = merged[variable];
    if (raw !== undefined) readVariable(config, field, variable, raw);
  }
  checkAccessConfig(config);
  return config;
}

/** Fills defaults for a partial config given in code (e.g. `startServer({ port: 0 })`). */
export function resolveConfig(partial: Partial<ServerConfig> = {}): ServerConfig {
  const config = { ...DEFAULT_CONFIG, ...partial };
  const checkRange = (field: keyof ServerConfig, value: number, min: number, max: number) => {
    if (!Number.isFinite(value) || value < min || value > max) {
      throw new ConfigError(field, String(value), `expected a number from ${min} to ${max}`);
    }
  };
  checkRange('port', config.port, 0, 65_535);
  checkRange('translationDelayMs', config.translationDelayMs, 0, MAX_SIMULATED_DURATION_MS);
  checkRange('translationDelayJitter', config.translationDelayJitter, 0, 1);
  checkRange('errorProbability', config.errorProbability, 0, 1);
  checkRange('maxWaiters', config.maxWaiters, 0, 1_000_000);
  parseStoreSpec('store', config.store);
  checkWebhookConfig(config);
  if (config.faults !== undefined) parseFaultSpec('faults', config.faults);
  checkRange('headersTimeoutMs', config.headersTimeoutMs, 1, 10 * 60_000);
  checkRange('maxWaitersPerKey', config.maxWaitersPerKey, 0, 1_000_000);
  checkRange('memoryMaxJobs', config.memoryMaxJobs, 1, MAX_MEMORY_MAX_JOBS);
  checkAccessConfig(config);
  return config;
}
