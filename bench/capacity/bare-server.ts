/**
 * The comparison point for throughput: a bare Fastify route answering a job-sized JSON object,
 * with no plugins, hooks or store. Run as its own process: `node --import tsx bare-server.ts PORT`.
 */
import Fastify from 'fastify';

const port = Number(process.argv[2] ?? 0);
const app = Fastify({ logger: false });
const job = {
  id: 'job_aaaaaaaaaaaaaaaaaaaa',
  status: 'pending',
  progress: 0.42,
  stage: 'translating',
  source_url: null,
  target_language: 'de',
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:02.000Z',
  eta: '2026-01-01T00:00:10.000Z',
  completed_at: null,
  error: null,
  result: null,
  version: 1,
};
app.get('/bare', async () => job);
await app.listen({ port, host: '127.0.0.1' });
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
