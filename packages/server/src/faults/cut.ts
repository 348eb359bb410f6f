/**
 * Cutting answers short: a connection reset (RST) or a close (FIN) after some of the answer has
 * reached the socket. Used by the fault plugin; nothing here decides *when* to cut.
 */
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';

/** How many turns of the event loop to wait for written bytes to leave before cutting anyway. */
const MAX_FLUSH_TURNS = 100;

export type CutMode = 'reset' | 'close';

/** Resets (RST) or closes (FIN) a socket, once what was written to it has been flushed. */
export function cutSocket(
  socket: Socket | null | undefined,
  mode: CutMode,
  pending?: Readable,
): void {
  if (!socket || socket.destroyed) return;
  let turns = 0;
  const attempt = () => {
    if (socket.destroyed) return;
    const flushed = socket.writableLength === 0 && (pending?.readableLength ?? 0) === 0;
    if (!flushed && turns++ < MAX_FLUSH_TURNS) {
      setImmediate(attempt);
      return;
    }
    if (mode === 'reset' && typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
    else socket.destroy();
  };
  setImmediate(attempt);
}

/**
 * A body that sends `prefix` and then cuts the connection instead of ending: the client sees its
 * answer stop partway (after the headers when `prefix` is empty).
 */
export function cutShortBody(
  prefix: Buffer,
  socket: Socket | null | undefined,
  mode: CutMode,
  flushHeaders: () => void,
): Readable {
  let started = false;
  const body: Readable = new Readable({
    read() {
      if (started) return;
      started = true;
      if (prefix.length > 0) this.push(prefix);
      else flushHeaders();
      cutSocket(socket, mode, body);
    },
  });
  return body;
}
