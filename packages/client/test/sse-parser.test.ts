import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from '../src/internal/sse-parser.js';

function parse(chunks: string[]): { events: SseEvent[]; comments: string[] } {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const parser = new SseParser({
    onEvent: (e) => events.push(e),
    onComment: (c) => comments.push(c),
  });
  for (const chunk of chunks) parser.push(chunk);
  return { events, comments };
}

describe('SseParser', () => {
  it('dispatches an event with type, id and data on a blank line', () => {
    const { events } = parse(['event: job.completed\nid: 2\ndata: {"a":1}\n\n']);
    expect(events).toEqual([
      { type: 'job.completed', data: '{"a":1}', lastEventId: '2', hasId: true, retryMs: undefined },
    ]);
  });

  it('joins multiple data lines with newlines and defaults the type to message', () => {
    const { events } = parse(['data: a\ndata: b\n\n']);
    expect(events[0]?.type).toBe('message');
    expect(events[0]?.data).toBe('a\nb');
  });

  it('handles lines and CRLF split across chunks', () => {
    const { events } = parse(['even', 't: x\r', '\ndata: he', 'llo\r\n\r', '\n']);
    expect(events.map((e) => [e.type, e.data])).toEqual([['x', 'hello']]);
  });

  it('accepts bare CR line endings', () => {
    const { events } = parse(['data: one\r\rdata: two\r\r']);
    expect(events.map((e) => e.data)).toEqual(['one', 'two']);
  });

  it('reports comments (heartbeats) without dispatching events', () => {
    const { events, comments } = parse([': heartbeat\n\n:\n\n']);
    expect(events).toHaveLength(0);
    expect(comments).toEqual(['heartbeat', '']);
  });

  it('strips a leading BOM and one space after the colon only', () => {
    const { events } = parse(['\uFEFFdata:  two spaces\n\n']);
    expect(events[0]?.data).toBe(' two spaces');
  });

  it('keeps the last event id across events and ignores ids containing NUL', () => {
    const { events } = parse(['id: 7\ndata: a\n\nid: 8\0\ndata: b\n\n']);
    expect(events.map((e) => [e.lastEventId, e.hasId])).toEqual([
      ['7', true],
      ['7', false],
    ]);
  });

  it('parses retry only when it is all digits and ignores unknown fields', () => {
    const { events } = parse(['retry: 1500\nfoo: bar\ndata: a\n\nretry: 1.5\ndata: b\n\n']);
    expect(events.map((e) => e.retryMs)).toEqual([1500, undefined]);
  });

  it('does not dispatch an event without data, nor a trailing unterminated one', () => {
    const { events } = parse(['event: x\n\n', 'data: pending']);
    expect(events).toHaveLength(0);
  });

  it('drops a half-received event on reset', () => {
    const events: SseEvent[] = [];
    const parser = new SseParser({ onEvent: (e) => events.push(e) });
    parser.push('data: half\n');
    parser.reset();
    parser.push('\ndata: whole\n\n');
    expect(events.map((e) => e.data)).toEqual(['whole']);
  });

  it('parses ids, types, multi-line data, comments and retry across every chunk split', () => {
    const text =
      'retry: 1500\r\n: heartbeat\r\n\r\nid: 1-1\r\nevent: job.created\r\ndata: {"a":\r\ndata: 1}\r\n\r\ndata:plain\n\nid: 2-2\revent: job.updated\rdata: x\r\r: end\n';
    // Every split point, including between \r and \n.
    for (let cut = 0; cut <= text.length; cut++) {
      const events: SseEvent[] = [];
      const retries: number[] = [];
      const parser = new SseParser({
        onEvent: (e) => events.push(e),
        onRetry: (ms) => retries.push(ms),
      });
      parser.push(text.slice(0, cut));
      parser.push(text.slice(cut));
      expect(
        events.map((e) => [e.lastEventId, e.hasId, e.type, e.data]),
        `cut at ${cut}`,
      ).toEqual([
        ['1-1', true, 'job.created', '{"a":\n1}'],
        ['1-1', false, 'message', 'plain'],
        ['2-2', true, 'job.updated', 'x'],
      ]);
      expect(retries, `cut at ${cut}`).toEqual([1500]);
    }
  });

  it('tells a retry sent alone, with no event after it', () => {
    const retries: number[] = [];
    const parser = new SseParser({ onEvent: () => undefined, onRetry: (ms) => retries.push(ms) });
    parser.push('retry: 2000\n\n');
    expect(retries).toEqual([2000]);
  });

  it('keeps an event without its blank line until the line arrives', () => {
    const events: SseEvent[] = [];
    const parser = new SseParser({ onEvent: (e) => events.push(e) });
    parser.push('event: job.updated\ndata: 1\n');
    expect(events).toEqual([]);
    parser.push('\n');
    expect(events.map((e) => [e.type, e.data])).toEqual([['job.updated', '1']]);
  });
});
