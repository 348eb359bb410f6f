/**
 * Many jobs at once on one client: concurrent waits share one batch long poll instead of a loop
 * each, so waiting costs at most about one request per job that finishes (fewer when several
 * finish together) — whatever the jobs' durations.
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
  const jobs = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      client.createJob({
        target_language: languages[i % languages.length]!,
        simulate: { duration_ms: 300 + 20 * i },
      }),
    ),
  );
  const createRequests = requests;
  const results = await Promise.all(
    jobs.map((job) => client.waitForJob(job.id, { timeoutMs: 30_000 })),
  );
  const completed = results.filter((job) => job.status === 'completed').length;
  console.log(
    `${completed}/50 completed in ${Date.now() - started} ms: ${createRequests} requests to create, ` +
      `${requests - createRequests} to wait for all of them`,
  );
} finally {
  await server.close();
}
