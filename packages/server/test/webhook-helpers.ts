/**
 * A webhook receiver for tests: an HTTP server on 127.0.0.1 port 0 that records every request
 * (raw body and headers) and answers with scripted statuses, then 200. Closed after the test.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';
import { checkWebhookDelivery } from './helpers/response-check.js';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The status answered. */
  status: number;
  at: number;
}

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  /** Resolves once `count` requests have arrived (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

/** Answering with this never answers: the request hangs until the receiver closes. */
export const HANG = 0;

/** Starts a receiver answering `statuses` in order (`HANG`: no answer), then `thenStatus` (default 200). */
export async function startReceiver(statuses: number[] = [], thenStatus = 200): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const waiters: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = statuses[requests.length] ?? thenStatus;
      const body = Buffer.concat(chunks).toString('utf8');
      // Every delivery must be what the API description's `webhooks` section says.
      checkWebhookDelivery({ headers: req.headers, body });
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        status,
        at: Date.now(),
      });
      if (status !== HANG) res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  try {
    onTestFinished(close);
  } catch {
    // outside a test: the caller closes it
  }
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    close,
    waitFor: async (count, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < count) {
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(`receiver got ${requests.length} requests, expected ${count}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      return requests;
    },
  };
}

/** Polls `check` until it returns a value (not undefined) or the time is up. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
  stepMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
