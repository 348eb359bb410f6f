/**
 * The webhook receiver of a run: an HTTP server on loopback that verifies each delivery with the
 * tenant's secret (`verifyWebhook` from @vtrans/client) and writes every arrival into the history.
 * Like a real receiver it sometimes fails: the first arrival of some deliveries gets a 500, and of
 * a few others an answer slower than the senders' timeout — so retries happen and are checked too.
 * Which deliveries fail is a function of the seed and the `webhook-id`.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { verifyWebhook } from '@vtrans/client';
import { WEBHOOK_TIMEOUT_MS } from './cluster.js';
import type { History } from './history.js';
import { hashUnit } from './rng.js';

const FAIL_FIRST_SHARE = 0.15;
const SLOW_FIRST_SHARE = 0.05;

export class WebhookReceiver {
  readonly #server: Server;
  readonly #secrets = new Map<string, string>();
  readonly #arrivalsById = new Map<string, number>();
  #port = 0;

  constructor(
    private readonly history: History,
    private readonly seed: string,
  ) {
    this.#server = createServer((req, res) => {
      void this.#handle(req).then(
        async ({ status, delayMs }) => {
          if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
          res.writeHead(status).end();
        },
        () => res.writeHead(500).end(),
      );
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const address = this.#server.address();
    this.#port = typeof address === 'object' && address ? address.port : 0;
  }

  /** The `callback_url` for a tenant's jobs. */
  urlFor(tenant: string): string {
    return `http://127.0.0.1:${this.#port}/hook/${tenant}`;
  }

  setSecret(tenant: string, secret: string): void {
    this.#secrets.set(tenant, secret);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  /** The answer this arrival gets: the n-th arrival of a delivery (0-based) decides. */
  #answerFor(webhookId: string, n: number): { status: number; delayMs: number } {
    if (n > 0) return { status: 204, delayMs: 0 };
    const x = hashUnit(`${this.seed}:${webhookId}`);
    if (x < FAIL_FIRST_SHARE) return { status: 500, delayMs: 0 };
    if (x < FAIL_FIRST_SHARE + SLOW_FIRST_SHARE)
      return { status: 204, delayMs: WEBHOOK_TIMEOUT_MS + 500 };
    return { status: 204, delayMs: 0 };
  }

  async #handle(req: IncomingMessage): Promise<{ status: number; delayMs: number }> {
    const at = Date.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const tenant = /^\/hook\/([\w-]+)$/.exec(req.url ?? '')?.[1] ?? '?';
    const webhookId = String(req.headers['webhook-id'] ?? '');
    let signatureOk = false;
    try {
      await verifyWebhook(raw, req.headers, this.#secrets.get(tenant) ?? '', {
        toleranceMs: 3_600_000,
      });
      signatureOk = true;
    } catch {
      signatureOk = false;
    }
    let body: {
      type?: string;
      timestamp?: string;
      data?: { id?: string; status?: string; stage?: string | null };
    } = {};
    try {
      body = JSON.parse(raw.toString('utf8')) as typeof body;
    } catch {
      // recorded as it came
    }
    const n = this.#arrivalsById.get(webhookId) ?? 0;
    this.#arrivalsById.set(webhookId, n + 1);
    const answer = this.#answerFor(webhookId, n);
    this.history.arrivals.push({
      at,
      tenant,
      webhookId,
      signatureOk,
      type: body.type ?? '',
      jobId: body.data?.id ?? '',
      status: body.data?.status ?? '',
      stage: body.data?.stage ?? null,
      eventTimestamp: body.timestamp ?? '',
      bodyHash: createHash('sha256').update(raw).digest('base64url'),
      answered: answer.status,
      late: answer.delayMs > WEBHOOK_TIMEOUT_MS,
    });
    const status = body.data?.status;
    if (body.data?.id && status && status !== 'pending') {
      this.history.observe({
        tenant,
        jobId: body.data.id,
        status: status as 'completed',
        kind: 'record',
        start: at,
        end: at,
        source: 'webhook',
      });
    }
    return answer;
  }
}
