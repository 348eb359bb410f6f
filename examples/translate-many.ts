/**
 * Many jobs at once on one client: concurrent waits share one batch long poll instead of a loop
 * each, so waiting costs at most one request per job that finishes (fewer when they finish together).
 *
 *   npx tsx examples/translate-many.ts
 */
import { VtransClient } from '@vtrans/client';
import { startServer } from '@vtrans/server';

const server = await startServer({
  port: 0,
  store: 'memory',
  logLevel: 'silent',
  errorProbability: 0,
});
let requests = 0;
server.app.server.on('request', () => requests++);
const client = new VtransClient({ baseUrl: server.url });

try {
  const languages = ['es', 'fr', 'de', 'ja', 'pt'];
  const started = Date.now();
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      client.translate(
        {
          target_language: languages[i % languages.length],
          simulate: { duration_ms: 300 + 20 * i },
        },
        { timeoutMs: 30_000 },
      ),
    ),
  );
  const completed = results.filter((job) => job.status === 'completed').length;
  console.log(
    `${completed}/50 completed in ${Date.now() - started} ms with ${requests} requests in all`,
  );
} finally {
  await server.close();
}
