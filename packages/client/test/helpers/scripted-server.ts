import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach } from 'vitest';

/** One request the scripted server saw. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly atMs: number;
}

/** Answers the n-th request (0-based). */
export type Script = (
  req: IncomingMessage,
  res: ServerResponse,
  index: number,
) => void | Promise<void>;

/** A tiny node:http server whose every answer a test scripts, counting requests and sockets. */
export interface ScriptedServer {
  readonly url: string;
  readonly requests: SeenRequest[];
  /** Sockets opened so far. */
  connections(): number;
  /** Responses whose request was aborted by the client before the answer. */
  readonly closedEarly: number[];
  close(): Promise<void>;
}

export async function startScriptedServer(script: Script): Promise<ScriptedServer> {
  const requests: SeenRequest[] = [];
  const closedEarly: number[] = [];
  const sockets = new Set<Socket>();
  let connectionCount = 0;
  const server = createServer((req, res) => {
    const index = requests.length;
    requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      atMs: Date.now(),
    });
    res.on('close', () => {
      if (!res.writableFinished) closedEarly.push(index);
    });
    res.setHeader('x-request-id', `req_${index}`);
    void Promise.resolve(script(req, res, index)).catch((error: unknown) => {
      res.destroy(error as Error);
    });
  });
  server.on('connection', (socket) => {
    connectionCount += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    closedEarly,
    connections: () => connectionCount,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The job ids of a batch request (`GET /v1/jobs?ids=a,b`). */
export function idsOf(req: IncomingMessage): string[] {
  return new URL(req.url ?? '', 'http://x').searchParams.get('ids')?.split(',') ?? [];
}

/** A job as the server would send it. */
export function jobJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Date.now();
  return {
    id: 'job_test',
    status: 'pending',
    progress: 0,
    stage: 'queued',
    source_url: 'https://example.com/a.mp4',
    target_language: 'es',
    created_at: new Date(now).toISOString(),
    updated_at: new Date(now).toISOString(),
    eta: null,
    completed_at: null,
    error: null,
    result: null,
    version: 1,
    ...overrides,
  };
}

/** A completed job. */
export function completedJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return jobJson({
    status: 'completed',
    stage: null,
    progress: 1,
    completed_at: new Date().toISOString(),
    result: { video_url: 'https://example.com/out.mp4' },
    version: 2,
    ...overrides,
  });
}

/** Sends JSON with a status and headers. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** How {@link sendCutShort} ends an answer. */
export interface CutShortOptions {
  /** Share of the JSON body sent before the cut (0: headers only). */
  share: number;
  /**
   * `truncate` declares the full `content-length` and closes (FIN) early, like `VT_FAULTS`
   * `truncate`; `reset` sends the body chunked and resets (RST) the connection mid-body.
   */
  mode: 'truncate' | 'reset';
}

/**
 * Sends the headers and the first `share` of a JSON answer, then cuts the connection: the client
 * gets its status and headers, then a body that ends short.
 */
export function sendCutShort(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string>,
  { share, mode }: CutShortOptions,
): void {
  const bytes = Buffer.from(JSON.stringify(body));
  const framing: Record<string, string> =
    mode === 'truncate' ? { 'content-length': String(bytes.length) } : {};
  res.writeHead(status, { 'content-type': 'application/json', ...framing, ...headers });
  const prefix = bytes.subarray(0, Math.floor(share * bytes.length));
  if (prefix.length > 0) res.write(prefix);
  else res.flushHeaders();
  const { socket } = res;
  // The headers and the prefix must reach the client before the connection goes.
  const cut = (): void => {
    if (socket === null || socket.destroyed) return;
    if (socket.writableLength > 0) return void setImmediate(cut);
    if (mode === 'reset') socket.resetAndDestroy();
    else socket.destroy();
  };
  setImmediate(cut);
}

/** Sends a problem+json error. */
export function sendProblem(
  res: ServerResponse,
  status: number,
  code: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/problem+json', ...headers });
  res.end(
    JSON.stringify({ type: 'about:blank', title: code, status, detail: `detail of ${code}`, code }),
  );
}

/**
 * For a test file: returns `serve(script)`, which starts a scripted server that is closed after
 * each test (one server per test at a time).
 */
export function useScriptedServers(): (script: Script) => Promise<ScriptedServer> {
  let current: ScriptedServer | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return async (script) => {
    current = await startScriptedServer(script);
    return current;
  };
}
