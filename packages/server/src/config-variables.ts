/**
 * Every environment variable the server reads, described once: its name, the `ServerConfig`
 * field it sets, what it means and its default. `loadConfig` reads the variables listed here,
 * `vtrans serve --help` describes its flags from here, and `docs/configuration.md`'s variable
 * tables are checked against it (`test/config-variables.test.ts`). Meanings and defaults are
 * Markdown (code in backticks); help texts drop the backticks.
 */
import type { ServerConfig } from './config.js';

/** The table of `docs/configuration.md` a variable is listed in. */
export type ConfigSection = 'server' | 'access' | 'webhooks';

/** One environment variable. */
export interface ConfigVariable {
  /** The variable's name, e.g. `VT_STORE`. */
  readonly variable: string;
  /** The `ServerConfig` field it sets. */
  readonly field: keyof ServerConfig;
  /** What it means. */
  readonly meaning: string;
  /** Its default, as a person would write it (or what happens when it is unset). */
  readonly default: string;
  readonly section: ConfigSection;
}

export const CONFIG_VARIABLES = [
  {
    variable: 'PORT',
    field: 'port',
    meaning: 'listen port (`0` picks a free one)',
    default: '`3000`',
    section: 'server',
  },
  {
    variable: 'HOST',
    field: 'host',
    meaning: 'listen address',
    default: '`127.0.0.1`',
    section: 'server',
  },
  {
    variable: 'TRANSLATION_DELAY',
    field: 'translationDelayMs',
    meaning: 'mean job duration, ms',
    default: '`10000`',
    section: 'server',
  },
  {
    variable: 'TRANSLATION_DELAY_JITTER',
    field: 'translationDelayJitter',
    meaning: 'real duration varies by up to ± this fraction of the mean; `eta` reports the mean',
    default: '`0.2`',
    section: 'server',
  },
  {
    variable: 'ERROR_PROBABILITY',
    field: 'errorProbability',
    meaning: 'chance a job ends in `error`, 0 to 1',
    default: '`0.1`',
    section: 'server',
  },
  {
    variable: 'VT_SEED',
    field: 'seed',
    meaning: "seeds the simulator's random choices (reproducible runs)",
    default: 'random',
    section: 'server',
  },
  {
    variable: 'VT_STORE',
    field: 'store',
    meaning: '`sqlite:<path>`, `memory`, or `redis://host:port`',
    default: '`sqlite:./data/vtrans.db`',
    section: 'server',
  },
  {
    variable: 'VT_MEMORY_MAX_JOBS',
    field: 'memoryMaxJobs',
    meaning:
      'jobs the `memory` store keeps: past it the job that finished longest ago is evicted (with its events and key); while every job is pending a new one gets 503 `store_full`',
    default: '`100000`',
    section: 'server',
  },
  {
    variable: 'VT_MAX_WAITERS',
    field: 'maxWaiters',
    meaning: 'held long polls + streams before answering at once',
    default: '`20000`',
    section: 'server',
  },
  {
    variable: 'VT_BODY_LIMIT',
    field: 'bodyLimitBytes',
    meaning: 'request body limit, bytes',
    default: '`1048576`',
    section: 'server',
  },
  {
    variable: 'VT_RETENTION',
    field: 'retentionMs',
    meaning:
      'how long finished jobs, idempotency keys and events are kept (`500ms`, `10s`, `5m`, `24h`, `1d`)',
    default: '`24h`',
    section: 'server',
  },
  {
    variable: 'VT_CORS_ORIGINS',
    field: 'corsOrigins',
    meaning: 'allowed browser origins, comma-separated, or `*`',
    default: 'none',
    section: 'server',
  },
  {
    variable: 'VT_TRUST_PROXY',
    field: 'trustProxy',
    meaning: 'trust `X-Forwarded-*` headers: `true` or `false`',
    default: '`false`',
    section: 'server',
  },
  {
    variable: 'VT_SHUTDOWN_GRACE',
    field: 'shutdownGraceMs',
    meaning: 'graceful-shutdown limit',
    default: '`10s`',
    section: 'server',
  },
  {
    variable: 'LOG_LEVEL',
    field: 'logLevel',
    meaning:
      '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent` (pretty on a terminal, JSON lines otherwise)',
    default: '`info`',
    section: 'server',
  },
  {
    variable: 'VT_FAULTS',
    field: 'faults',
    meaning: 'injected faults for testing clients, e.g. `503=0.1,reset=0.05,latency=200ms`',
    default: 'off',
    section: 'server',
  },
  {
    variable: 'VT_API_KEYS',
    field: 'apiKeys',
    meaning:
      '`key:tenant[:tier],…` — with keys set, `/v1/…` and `GET /status?job_id=` need `Authorization: Bearer <key>`; each tenant sees only its jobs',
    default: 'unset: open mode (one public tenant, loopback `HOST` only)',
    section: 'access',
  },
  {
    variable: 'VT_API_KEYS_FILE',
    field: 'apiKeysFromFile',
    meaning: 'a file of `key:tenant[:tier]` lines (`#` comments); combined with `VT_API_KEYS`',
    default: 'unset',
    section: 'access',
  },
  {
    variable: 'VT_RATE_LIMITS',
    field: 'rateLimits',
    meaning:
      'per tier, `tier=N/s`, `/min` or `/h`, e.g. `free=60/min,pro=600/min`; counted per key (per client address without a key)',
    default: 'with keys `free=60/min,pro=600/min`; in open mode off',
    section: 'access',
  },
  {
    variable: 'VT_METRICS_TOKEN',
    field: 'metricsToken',
    meaning: 'bearer token `GET /metrics` requires (8–256 visible characters)',
    default: 'unset: `/metrics` is open',
    section: 'access',
  },
  {
    variable: 'VT_MAX_WAITERS_PER_KEY',
    field: 'maxWaitersPerKey',
    meaning:
      'held long polls + streams one key (or address) may have; past it a long poll is answered at once and a stream gets 503 `server_busy`',
    default: '`1000`',
    section: 'access',
  },
  {
    variable: 'VT_WEBHOOK_SECRET',
    field: 'webhookSecret',
    meaning:
      "the open tenant's webhook signing secret, `whsec_` + base64 of at least 24 bytes; changing it rotates to it at the next start",
    default: 'generated on first use and kept in the store',
    section: 'webhooks',
  },
  {
    variable: 'VT_WEBHOOK_RETRY_DELAYS',
    field: 'webhookRetryDelaysMs',
    meaning: 'delays between delivery attempts, each ± 10 % jitter',
    default: '`5s,30s,2m,15m,1h,3h,6h,12h`',
    section: 'webhooks',
  },
  {
    variable: 'VT_WEBHOOK_TIMEOUT',
    field: 'webhookTimeoutMs',
    meaning: 'per-attempt timeout of a delivery',
    default: '`10s`',
    section: 'webhooks',
  },
  {
    variable: 'VT_WEBHOOK_ALLOW_HOSTS',
    field: 'webhookAllowHosts',
    meaning:
      'hosts exempt from the private-address guard, comma-separated, e.g. `127.0.0.1,localhost` for a receiver on your machine',
    default: 'none',
    section: 'webhooks',
  },
] as const satisfies readonly ConfigVariable[];

/** The `ServerConfig` fields an environment variable sets. */
export type ConfiguredField = (typeof CONFIG_VARIABLES)[number]['field'];

/** A meaning or default without its Markdown (for help texts). */
export function plainText(markdown: string): string {
  return markdown.replace(/`/g, '');
}
