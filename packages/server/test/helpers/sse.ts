/**
 * A small Server-Sent Events reader over fetch, for tests (Node 20 has no EventSource), parsing with
 * the client's SSE parser.
 */
import { SseParser } from '../../../client/src/internal/sse-parser.js';

export type SseItem =
  | { kind: 'event'; id: string | undefined; event: string; data: unknown }
  | { kind: 'comment'; text: string };

export interface SseConnection {
  status: number;
  headers: Headers;
  /** Every item received so far. */
  items: SseItem[];
  /** Settles when the server ends the stream (or it is closed). */
  ended: Promise<void>;
  /** Resolves with the items once `predicate` holds for the items so far (rejects on timeout). */
  until(predicate: (items: SseItem[]) => boolean, timeoutMs?: number): Promise<SseItem[]>;
  close(): void;
}

export async function openSse(
  url: string,
  headers: Record<string, string> = {},
): Promise<SseConnection> {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  const items: SseItem[] = [];
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of waiters) w();
  };
  let isEnded = false;
  const parser = new SseParser({
    // `id` is the event's own id (undefined when it carried none), `data` its parsed JSON.
    onEvent: (event) =>
      items.push({
        kind: 'event',
        id: event.hasId ? event.lastEventId : undefined,
        event: event.type,
        data: JSON.parse(event.data) as unknown,
      }),
    onComment: (text) => items.push({ kind: 'comment', text: text.trim() }),
  });
  const ended = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        parser.push(decoder.decode(chunk, { stream: true }));
        notify();
      }
    } catch {
      // aborted by close()
    } finally {
      isEnded = true;
      notify();
    }
  })();
  return {
    status: res.status,
    headers: res.headers,
    items,
    ended,
    until: (predicate, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(items)) {
            cleanup();
            resolve(items);
          } else if (isEnded) {
            cleanup();
            reject(new Error(`stream ended first; got ${JSON.stringify(items)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out; got ${JSON.stringify(items)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
    close: () => controller.abort(),
  };
}

/** Only the events, without comments. */
export const eventsOf = (items: SseItem[]) =>
  items.filter((i): i is Extract<SseItem, { kind: 'event' }> => i.kind === 'event');

/** Reads SSE frames (for the Redis suites' event stream checks) from a fetch response until `until` says stop (or the stream ends). */
export async function readSse(
  res: Response,
  until: (frames: { id?: string; event?: string; data: string }[]) => boolean,
): Promise<{ id?: string; event?: string; data: string }[]> {
  const frames: { id?: string; event?: string; data: string }[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    while (!until(frames)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const frame: { id?: string; event?: string; data: string } = { data: '' };
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) frame.id = line.slice(4);
          else if (line.startsWith('event: ')) frame.event = line.slice(7);
          else if (line.startsWith('data: ')) frame.data += line.slice(6);
        }
        if (frame.event) frames.push(frame);
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return frames;
}
