/**
 * verifyWebhook against what the real server sends: a job with a callback_url gets a signed POST
 * on its terminal change, and the client library verifies it with the server's secret.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startServer } from '@vtrans/server';
import { describe, expect, it } from 'vitest';
import { VtransClient, WebhookVerificationError, verifyWebhook } from '@vtrans/client';

describe('webhooks from the real server', () => {
  it('verifies a delivery signed by the server, and rejects it with another secret', async () => {
    const received: { body: string; headers: IncomingHttpHeaders }[] = [];
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.address() as AddressInfo;
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const srv = await startServer({
      port: 0,
      store: 'memory',
      host: '127.0.0.1',
      webhookSecret: secret,
      webhookAllowHosts: ['127.0.0.1'],
    });
    try {
      const client = new VtransClient({ baseUrl: srv.url });
      const job = await client.translate({
        callback_url: `http://127.0.0.1:${port}/hook`,
        simulate: { duration_ms: 30, outcome: 'completed' },
      });
      const deadline = Date.now() + 10_000;
      while (received.length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      const [delivery] = received;
      expect(delivery).toBeDefined();
      const event = await verifyWebhook(delivery?.body ?? '', delivery?.headers ?? {}, secret);
      expect(event.type).toBe('job.completed');
      expect(event.data.id).toBe(job.id);
      expect(event.id).toBe(delivery?.headers['webhook-id']);
      const other = `whsec_${randomBytes(32).toString('base64')}`;
      const error: unknown = await verifyWebhook(
        delivery?.body ?? '',
        delivery?.headers ?? {},
        other,
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WebhookVerificationError);
      expect((error as WebhookVerificationError).reason).toBe('invalid_signature');
    } finally {
      await srv.close();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });
});
