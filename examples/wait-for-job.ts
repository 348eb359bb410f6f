/**
 * The smallest useful program: create a translation job and learn the moment it finishes.
 *
 *   npx tsx examples/wait-for-job.ts                     # starts a throwaway server in-process
 *   VTRANS_URL=http://localhost:3000 npx tsx examples/wait-for-job.ts   # or uses yours
 */
import { isJobFailedError, VtransClient } from '@vtrans/client';
import { startServer } from '@vtrans/server';

const external = process.env.VTRANS_URL;
const server = external
  ? undefined
  : await startServer({ port: 0, store: 'memory', logLevel: 'silent', translationDelayMs: 1500 });
const client = new VtransClient({ baseUrl: external ?? server!.url });

try {
  const job = await client.createJob({
    target_language: 'es',
    source_url: 'https://example.com/talk.mp4',
  });
  console.log(`created ${job.id}, eta ${job.eta}`);
  const done = await client.waitForJob(job.id, {
    timeoutMs: 60_000,
    onUpdate: (update, info) =>
      console.log(
        `  ${update.status} (${update.stage ?? '-'}) after ${info.elapsedMs} ms via ${info.transport}`,
      ),
  });
  const lateMs = Date.now() - Date.parse(done.completed_at ?? '');
  console.log(`completed: ${done.result?.video_url} — noticed ${lateMs} ms after it finished`);
} catch (err) {
  if (isJobFailedError(err)) console.log(`the job failed: ${err.job.error?.message}`);
  else throw err;
} finally {
  await server?.close();
}
