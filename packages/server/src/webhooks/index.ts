/** Webhooks as the app uses them: per-tenant secrets and the background delivery worker. */
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.js';
import type { ServerConfig } from '../config.js';
import type { Store } from '../store/types.js';
import { WebhookSecrets } from './secrets.js';
import { DeliveryWorker, type CounterRegistry } from './worker.js';

export interface Webhooks {
  secrets: WebhookSecrets;
  worker: DeliveryWorker;
}

/** Builds the secrets service and a worker (not started: `server.ts` starts and stops it). */
export function createWebhooks(parts: {
  config: ServerConfig;
  store: Store;
  clock: Clock;
  log: FastifyBaseLogger;
  openTenant: string;
  metrics?: CounterRegistry;
}): Webhooks {
  const { config, store, clock, log } = parts;
  const secrets = new WebhookSecrets(store, clock, config.webhookSecret, parts.openTenant);
  const worker = new DeliveryWorker({
    store,
    clock,
    log,
    secrets,
    retryDelaysMs: config.webhookRetryDelaysMs,
    timeoutMs: config.webhookTimeoutMs,
    allowHosts: config.webhookAllowHosts,
    pollIntervalMs: config.webhookPollIntervalMs,
    ...(parts.metrics ? { metrics: parts.metrics } : {}),
  });
  return { secrets, worker };
}
