/** The client commands, run as the built binary against a real in-process server. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { startServer, type RunningServer } from '@vtrans/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lines, runCli, spawnCli } from './helpers/cli.js';
import { freePort } from '@vtrans/test-support';

let server: RunningServer;
let url: string;

beforeAll(async () => {
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    store: 'memory',
    logLevel: 'silent',
    translationDelayMs: 300,
    errorProbability: 0,
  });
  url = server.url;
});

afterAll(async () => {
  await server?.close();
});

interface JobJson {
  id: string;
  status: string;
  stage: string | null;
  target_language: string | null;
  error: { code: string } | null;
}

async function createJob(
  simulate: { duration_ms?: number; outcome?: string },
  language = 'es',
): Promise<JobJson> {
  const res = await fetch(`${url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ target_language: language, simulate }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as JobJson;
}

async function readJob(id: string): Promise<JobJson> {
  return (await (await fetch(`${url}/v1/jobs/${id}`)).json()) as JobJson;
}

const cli = (args: string[], env: Record<string, string> = {}) =>
  runCli([...args, '--url', url], { env });

describe.concurrent('create', () => {
  it('creates a job with the simulation asked for and prints it', async () => {
    const result = await cli(['create', '--language', 'fr', '--duration', '1m', '--json']);
    expect(result.code).toBe(0);
    const job = JSON.parse(result.stdout) as JobJson;
    expect(job).toMatchObject({ status: 'pending', target_language: 'fr' });
    expect(result.stderr).toBe('');
    expect((await readJob(job.id)).status).toBe('pending');
  });

  it('prints a readable job without --json', async () => {
    const result = await cli([
      'create',
      '--language',
      'de',
      '--source-url',
      'https://example.com/a.mp4',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^job_\w+\n\s+status\s+pending\n/);
    expect(result.stdout).toMatch(/language\s+de/);
    expect(result.stdout).toMatch(/source\s+https:\/\/example.com\/a.mp4/);
  });

  it('replays the same job for the same idempotency key', async () => {
    const args = ['create', '--language', 'it', '--idempotency-key', 'cli-test-key-1', '--json'];
    const first = JSON.parse((await cli(args)).stdout) as JobJson;
    const second = JSON.parse((await cli(args)).stdout) as JobJson;
    expect(second.id).toBe(first.id);
  });

  it('with --wait, shows progress on stderr and the completed job on stdout', async () => {
    const result = await cli(['create', '--duration', '200ms', '--outcome', 'completed', '--wait']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/status\s+completed/);
    expect(result.stderr).toMatch(/created job_\w+, waiting/);
    expect(result.stderr).toMatch(/job_\w+ {2}completed {2}https:\/\//);
  });

  it('with --wait, exits 1 and still prints the job when it fails', async () => {
    const result = await cli([
      'create',
      '--duration',
      '100ms',
      '--outcome',
      'error',
      '--wait',
      '--json',
    ]);
    expect(result.code).toBe(1);
    const job = JSON.parse(result.stdout) as JobJson;
    expect(job.status).toBe('error');
    expect(lines(result.stderr)).toEqual([
      expect.stringMatching(new RegExp(`^vtrans: job ${job.id} failed: ${job.error?.code}`)),
    ]);
  });
});

describe.concurrent('get, list and cancel', () => {
  it('gets a job', async () => {
    const job = await createJob({ duration_ms: 60_000 });
    const result = await cli(['get', job.id, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ id: job.id, status: 'pending' });
  });

  it('exits 4 with the server code for an unknown job', async () => {
    const result = await cli(['get', 'job_aaaaaaaaaaaaaaaaaaaa']);
    expect(result.code).toBe(4);
    expect(result.stdout).toBe('');
    expect(lines(result.stderr)).toEqual([
      expect.stringMatching(/^vtrans: server answered 404 job_not_found: .*request id/),
    ]);
  });

  it('lists a page, hints at --all, and follows every page with it', async () => {
    await createJob({ duration_ms: 60_000 });
    await createJob({ duration_ms: 60_000 });
    const page = await cli(['list', '--limit', '1', '--json']);
    expect(page.code).toBe(0);
    const first = JSON.parse(page.stdout) as { data: JobJson[]; next_cursor: string | null };
    expect(first.data).toHaveLength(1);
    expect(first.next_cursor).not.toBeNull();
    expect(page.stderr).toBe('');

    const all = await cli(['list', '--limit', '1', '--all', '--status', 'pending', '--json']);
    const every = JSON.parse(all.stdout) as { data: JobJson[]; next_cursor: string | null };
    expect(every.data.length).toBeGreaterThanOrEqual(2);
    expect(every.data.every((j) => j.status === 'pending')).toBe(true);
    expect(every.next_cursor).toBeNull();

    const table = await cli(['list', '--limit', '1']);
    expect(table.stdout).toMatch(/^ID\s+STATUS\s+STAGE\s+PROGRESS\s+LANG\s+CREATED\n/);
    expect(table.stderr).toContain('add --all');
  });

  it('cancels a pending job, and exits 4 for a finished one', async () => {
    const job = await createJob({ duration_ms: 60_000 });
    const canceled = await cli(['cancel', job.id, '--json']);
    expect(canceled.code).toBe(0);
    expect(JSON.parse(canceled.stdout)).toMatchObject({ id: job.id, status: 'canceled' });

    const done = await createJob({ duration_ms: 0, outcome: 'completed' });
    const conflict = await cli(['cancel', done.id]);
    expect(conflict.code).toBe(4);
    expect(conflict.stderr).toMatch(/^vtrans: server answered 409/);
  });
});

describe.concurrent('wait', () => {
  it('exits 0 with the completed job on stdout', async () => {
    const job = await createJob({ duration_ms: 300, outcome: 'completed' });
    const result = await cli(['wait', job.id, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ id: job.id, status: 'completed' });
    expect(result.stderr).toBe('');
  });

  it('prints plain progress lines on stderr when it is not a terminal', async () => {
    const job = await createJob({ duration_ms: 400, outcome: 'completed' });
    const result = await cli(['wait', job.id]);
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain('\x1b');
    expect(lines(result.stderr).at(-1)).toMatch(new RegExp(`^\\+\\S+ {2}${job.id} {2}completed`));
    expect(result.stdout).toMatch(/status\s+completed/);
  });

  it('exits 1 when the job fails', async () => {
    const job = await createJob({ duration_ms: 100, outcome: 'error' });
    const result = await cli(['wait', job.id]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/status\s+error/);
    expect(result.stderr).toMatch(new RegExp(`vtrans: job ${job.id} failed`));
  });

  it('exits 1 when the job was canceled', async () => {
    const job = await createJob({ duration_ms: 60_000 });
    await fetch(`${url}/v1/jobs/${job.id}/cancel`, { method: 'POST' });
    const result = await cli(['wait', job.id, '--json']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`vtrans: job ${job.id} was canceled`);
  });

  it('exits 3 at --timeout and prints the exact command that resumes', async () => {
    const job = await createJob({ duration_ms: 60_000 });
    const result = await cli(['wait', job.id, '--timeout', '300ms']);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      `vtrans: timed out after 300ms: job ${job.id} is still pending (queued) and keeps running\n`,
    );
    expect(result.stderr).toContain(`vtrans: resume with: vtrans wait ${job.id} --url ${url}\n`);
    expect((await readJob(job.id)).status).toBe('pending');
  });

  it('says the timeout in the unit it was given in', async () => {
    const job = await createJob({ duration_ms: 60_000 });
    const result = await cli(['wait', job.id, '--timeout', '1s']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`vtrans: timed out after 1s: job ${job.id} is still pending`);
  });

  it('names the last failure when the server went away during the wait', async () => {
    const job = JSON.stringify(await createJob({ duration_ms: 60_000 }));
    const { id } = JSON.parse(job) as JobJson;
    // Answers the first read, then resets every connection.
    let answered = 0;
    const stub = createServer((req, res) => {
      if (answered++ > 0) return req.socket.resetAndDestroy();
      res.writeHead(200, { 'content-type': 'application/json' }).end(job);
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    const address = stub.address();
    const stubUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    try {
      const result = await runCli(['wait', id, '--url', stubUrl, '--timeout', '1.5s', '--json']);
      expect(result.code).toBe(3);
      expect(lines(result.stderr)[0]).toBe(
        `vtrans: timed out after 1.5s: job ${id} is still pending (queued) and keeps running; ` +
          `the last request failed: no answer from ${stubUrl} to GET /v1/jobs/${id} (ECONNRESET)`,
      );
    } finally {
      await new Promise((resolve) => stub.close(resolve));
    }
  });

  it('leaves --url out of the resume command when it came from VTRANS_URL', async () => {
    const job = await createJob({ duration_ms: 60_000 });
    const result = await runCli(['wait', job.id, '--timeout', '100ms'], {
      env: { VTRANS_URL: url },
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`vtrans: resume with: vtrans wait ${job.id}\n`);
  });

  it('exits 130 on Ctrl-C, printing how to resume, and the job keeps running', async () => {
    const job = await createJob({ duration_ms: 60_000 });
    const run = spawnCli(['wait', job.id, '--url', url]);
    await run.waitFor(`${job.id}  pending`);
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('vtrans: interrupted');
    expect(result.stderr).toContain(`vtrans: resume with: vtrans wait ${job.id} --url ${url}`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect((await readJob(job.id)).status).toBe('pending');
  });
});

describe.concurrent('watch', () => {
  it('prints one JSON job a line, the terminal one last, and exits 0', async () => {
    const job = await createJob({ duration_ms: 1500, outcome: 'completed' });
    const result = await cli(['watch', job.id, '--json']);
    expect(result.code).toBe(0);
    const seen = lines(result.stdout).map((line) => JSON.parse(line) as JobJson);
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen.every((j) => j.id === job.id)).toBe(true);
    expect(seen.at(-1)?.status).toBe('completed');
    expect(seen.slice(0, -1).every((j) => j.status === 'pending')).toBe(true);
    expect(result.stderr).toBe('');
  });

  it('prints a line per change and exits 1 when the job fails', async () => {
    const job = await createJob({ duration_ms: 800, outcome: 'error' });
    const result = await cli(['watch', job.id]);
    expect(result.code).toBe(1);
    expect(lines(result.stdout).at(-1)).toMatch(new RegExp(`${job.id} {2}error`));
    expect(result.stderr).toContain(`vtrans: job ${job.id} failed`);
  });
});

describe.concurrent('watch timeouts', () => {
  it('exits 3 and prints the watch command that resumes', async () => {
    const job = await createJob({ duration_ms: 60_000 });
    const result = await cli(['watch', job.id, '--timeout', '300ms', '--json']);
    expect(result.code).toBe(3);
    expect(JSON.parse(lines(result.stdout)[0] ?? '')).toMatchObject({
      id: job.id,
      status: 'pending',
    });
    expect(result.stderr).toContain(`vtrans: resume with: vtrans watch ${job.id} --url ${url}\n`);
  });

  it('says the timeout in the unit it was given in', async () => {
    const job = await createJob({ duration_ms: 60_000 });
    const result = await cli(['watch', job.id, '--timeout', '0.5s', '--json']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`vtrans: timed out after 0.5s: job ${job.id} is still pending`);
  });
});

describe.concurrent('connection', () => {
  it('exits 4 with one line when the server cannot be reached', async () => {
    const port = await freePort();
    const result = await runCli([
      'get',
      'job_aaaaaaaaaaaaaaaaaaaa',
      '--url',
      `http://127.0.0.1:${port}`,
    ]);
    expect(result.code).toBe(4);
    expect(lines(result.stderr)).toEqual([
      `vtrans: cannot reach http://127.0.0.1:${port} (ECONNREFUSED) for GET /v1/jobs/job_aaaaaaaaaaaaaaaaaaaa`,
    ]);
  });

  it('does not wait on a server that cannot be reached', async () => {
    const port = await freePort();
    const result = await runCli([
      'wait',
      'job_aaaaaaaaaaaaaaaaaaaa',
      '--url',
      `http://127.0.0.1:${port}`,
    ]);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('cannot reach');
  });

  it('sends the API key from VTRANS_API_KEY, and --api-key wins over it', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const stub = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(401, { 'content-type': 'application/problem+json' });
      res.end(
        JSON.stringify({
          status: 401,
          code: 'unauthorized',
          title: 'Unauthorized',
          detail: 'bad key',
        }),
      );
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    const address = stub.address();
    const stubUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    try {
      const fromEnv = await runCli(['get', 'job_a', '--url', stubUrl], {
        env: { VTRANS_API_KEY: 'k_env' },
      });
      const fromFlag = await runCli(['get', 'job_a', '--url', stubUrl, '--api-key', 'k_flag'], {
        env: { VTRANS_API_KEY: 'k_env' },
      });
      expect(fromEnv.code).toBe(4);
      expect(fromEnv.stderr).toMatch(/server answered 401 unauthorized: bad key/);
      expect(fromFlag.stderr).not.toContain('k_flag');
      expect(seen.map((h) => h.authorization)).toEqual(['Bearer k_env', 'Bearer k_flag']);
    } finally {
      await new Promise((resolve) => stub.close(resolve));
    }
  });
});
