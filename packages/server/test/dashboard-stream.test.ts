/**
 * The dashboard's event-stream reader (browser code with no DOM dependency, so it runs in Node):
 * events through the client's SSE parser (whose own tests are the client's sse-parser.test.ts),
 * reconnection that resumes with Last-Event-ID and honours the server's `retry:`, the idle timeout
 * that heartbeats reset, and stopping on 401. Against small scripted HTTP servers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EventStream, type SseEvent, type StreamState } from '../dashboard/src/event-stream.js';

type Handler = (req: IncomingMessage, res: ServerResponse, attempt: number) => void;

const servers: Server[] = [];
const streams: EventStream[] = [];
afterEach(async () => {
  for (const s of streams.splice(0)) s.stop();
  for (const srv of servers.splice(0)) {
    srv.closeAllConnections();
    await new Promise((resolve) => srv.close(resolve));
  }
});

async function scripted(handler: Handler): Promise<{ url: URL; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  const srv = createServer((req, res) => {
    requests.push(req);
    handler(req, res, requests.length);
  });
  servers.push(srv);
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  return { url: new URL(`http://127.0.0.1:${port}/v1/events`), requests };
}

function open(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.flushHeaders();
}

function watch(url: URL, options: Partial<ConstructorParameters<typeof EventStream>[0]> = {}) {
  const events: SseEvent[] = [];
  const states: StreamState['kind'][] = [];
  let gaps = 0;
  const stream = new EventStream({
    url,
    headers: () => ({ authorization: 'Bearer k1' }),
    onEvent: (e) => events.push(e),
    onState: (s) => states.push(s.kind),
    onGap: () => gaps++,
    minDelayMs: 10,
    maxDelayMs: 50,
    ...options,
  });
  streams.push(stream);
  stream.start();
  return { stream, events, states, gaps: () => gaps };
}

describe('EventStream', () => {
  it('reconnects after the server ends the stream and resumes with Last-Event-ID', async () => {
    const { url, requests } = await scripted((_req, res, attempt) => {
      open(res);
      if (attempt === 1) {
        res.end(
          'id: 5-1\nevent: job.created\ndata: {}\n\nid: 5-2\nevent: job.updated\ndata: {}\n\n',
        );
      } else {
        res.write('id: 6-3\nevent: job.completed\ndata: {}\n\n');
      }
    });
    const w = watch(url);
    await expect.poll(() => w.events.map((e) => e.id)).toEqual(['5-1', '5-2', '6-3']);
    expect(requests).toHaveLength(2);
    expect(requests[0]?.headers['last-event-id']).toBeUndefined();
    expect(requests[1]?.headers['last-event-id']).toBe('5-2');
    expect(requests[1]?.headers.authorization).toBe('Bearer k1');
    expect(w.states).toEqual(['connecting', 'live', 'reconnecting', 'connecting', 'live']);
    expect(w.gaps()).toBe(0);
  });

  it('drops an event the previous connection left half-sent', async () => {
    const { url } = await scripted((_req, res, attempt) => {
      open(res);
      if (attempt === 1) res.end('id: 5-1\nevent: job.created\ndata: {}\n\nevent: job.upd');
      else res.write('id: 6-2\nevent: job.completed\ndata: {}\n\n');
    });
    const w = watch(url);
    await expect
      .poll(() => w.events.map((e) => `${e.id} ${e.event}`))
      .toEqual(['5-1 job.created', '6-2 job.completed']);
  });

  it('treats silence longer than the idle timeout as a dead connection; heartbeats keep it alive', async () => {
    const timers: NodeJS.Timeout[] = [];
    const { url, requests } = await scripted((req, res, attempt) => {
      open(res);
      res.write('id: 1-1\nevent: job.created\ndata: {}\n\n');
      // The first connection goes silent; the second sends heartbeats.
      if (attempt > 1) timers.push(setInterval(() => res.write(': heartbeat\n\n'), 30));
      req.on('close', () => timers.forEach(clearInterval));
    });
    const w = watch(url, { idleTimeoutMs: 600 });
    await expect.poll(() => requests.length).toBe(2);
    expect(requests[1]?.headers['last-event-id']).toBe('1-1');
    expect(w.states).toContain('reconnecting');
    // Heartbeats every 30 ms: no third connection within twice the idle timeout.
    await new Promise((r) => setTimeout(r, 1200));
    expect(requests).toHaveLength(2);
    expect(w.states.at(-1)).toBe('live');
  });

  it('backs off on server errors, honouring Retry-After, and asks to reload after an unresumable gap', async () => {
    const { url, requests } = await scripted((_req, res, attempt) => {
      if (attempt === 1) {
        open(res);
        res.end(': connected\n\n');
      } else if (attempt === 2) {
        res.writeHead(503, { 'retry-after': '0' }).end();
      } else open(res);
    });
    const w = watch(url);
    await expect.poll(() => requests.length).toBe(3);
    await expect.poll(() => w.states.at(-1)).toBe('live');
    // No event id was ever seen: the page must reload what it may have missed.
    expect(w.gaps()).toBe(1);
  });

  it('stops and reports unauthorized on 401 instead of retrying', async () => {
    const { url, requests } = await scripted((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/problem+json' }).end('{}');
    });
    const w = watch(url);
    await expect.poll(() => w.states.at(-1)).toBe('unauthorized');
    await new Promise((r) => setTimeout(r, 200));
    expect(requests).toHaveLength(1);
  });
});
