/**
 * The Redis store's notices after a reconnect, when reading back the events written meanwhile
 * fails at first (the command connection is not back yet, while the subscriber already is): the
 * notices that arrive in the meantime must wait for the read-back, so none overtakes an event not
 * yet read back — an event stream would otherwise skip that event for good. The subscriber and the
 * event log are stand-ins: a connection that fails is the one thing a test cannot order on a real
 * Redis.
 */
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisNotices } from '../src/store/redis-notices.js';
import type { StoredEvent } from '../src/store/types.js';

const CHANNEL = 'vt:notices';
const silent = { info: () => {}, warn: () => {}, error: () => {} };

function event(id: string): StoredEvent {
  return {
    id,
    tenant: 'acme',
    jobId: `job_${id.replace('-', '_')}`,
    type: 'job.updated',
    at: Number(id.split('-')[0]),
    data: {} as StoredEvent['data'],
  };
}

const message = (e: StoredEvent) =>
  `${e.id} ${JSON.stringify({ tenant: e.tenant, jobId: e.jobId, type: e.type, at: e.at, data: e.data })}`;

/** A subscriber connection: `message` and `ready` events, `time` and `subscribe` commands. */
class FakeSubscriber extends EventEmitter {
  time = async () => ['1', '0'];
  subscribe = async () => 1;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Redis notices after a reconnect', () => {
  it('hold notices that arrive during a failed read-back until the read-back succeeds', async () => {
    const log = [event('2000-0'), event('3000-0'), event('5000-0')];
    let failReads = 1;
    const sub = new FakeSubscriber();
    const notices = new RedisNotices(
      sub as unknown as Redis,
      CHANNEL,
      {
        tenants: async () => {
          await sleep(20);
          if (failReads-- > 0) throw new Error('Stream is not writeable (reconnecting)');
          return ['acme'];
        },
        readEvents: async (_tenant, afterId) =>
          log.filter((e) => afterId === undefined || e.id > afterId),
      },
      silent,
    );
    const delivered: string[] = [];
    notices.subscribe((n) => delivered.push(n.event.id));
    await notices.start();
    sub.emit('message', CHANNEL, message(log[0]!));
    expect(delivered).toEqual(['2000-0']);

    // The connection drops; 3000-0 is written while it is down (its notice is lost). Back up, the
    // read-back fails once, and meanwhile the notice of 5000-0 arrives.
    sub.emit('ready');
    await sleep(5);
    sub.emit('message', CHANNEL, message(log[2]!));
    await sleep(800);

    expect(delivered).toEqual(['2000-0', '3000-0', '5000-0']);
    notices.close();
  });
});
