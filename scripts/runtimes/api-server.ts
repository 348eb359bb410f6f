/**
 * What the client checks run against: a real vtrans server (memory store, CORS open to the page
 * server's origin), a page server for the browser, one webhook delivery the server signed, and an
 * address where nothing listens.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startServer, type RunningServer } from '@vtrans/server';
import { VtransClient } from '@vtrans/client';
import type { ClientChecksConfig } from './client-checks.js';

export interface ApiServer {
  config: ClientChecksConfig;
  /** Origin of the page server, which serves `/` and `/checks.js`. */
  pageOrigin: string;
  close(): Promise<void>;
}

const PAGE =
  '<!doctype html><title>client checks</title><script type="module" src="/checks.js"></script>';

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }),
  );
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/** Headers as one string each, lower-case names (what a webhook receiver hands to verifyWebhook). */
function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/** Starts everything; `browserBundle` is served as `/checks.js`. */
export async function startApiServer(browserBundle: () => string): Promise<ApiServer> {
  const pages = createServer((req, res) => {
    if (req.url === '/checks.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(browserBundle());
    } else {
      res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    }
  });
  const pageOrigin = await listen(pages);

  const deliveries: { body: string; headers: Record<string, string> }[] = [];
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      deliveries.push({
        body: Buffer.concat(chunks).toString('utf8'),
        headers: flatHeaders(req.headers),
      });
      res.writeHead(204).end();
    });
  });
  const receiverUrl = await listen(receiver);

  const closed = createServer();
  const closedUrl = await listen(closed);
  await close(closed);

  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const api: RunningServer = await startServer({
    port: 0,
    host: '127.0.0.1',
    store: 'memory',
    logLevel: 'silent',
    corsOrigins: [pageOrigin],
    webhookSecret: secret,
    webhookAllowHosts: ['127.0.0.1'],
  });
  const client = new VtransClient({ baseUrl: api.url });
  await client.translate(
    { callback_url: `${receiverUrl}/hook`, simulate: { duration_ms: 50, outcome: 'completed' } },
    { timeoutMs: 10_000 },
  );
  const deadline = Date.now() + 10_000;
  while (deliveries.length === 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const [delivery] = deliveries;
  if (!delivery) throw new Error('the server sent no webhook within 10 s');

  return {
    config: { baseUrl: api.url, closedUrl, webhook: { ...delivery, secret } },
    pageOrigin,
    async close() {
      await api.close();
      await Promise.all([close(pages), close(receiver)]);
    },
  };
}
