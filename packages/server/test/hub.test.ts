/**
 * The hub calls a notice's listeners in order, a slice at a time: many requests woken together
 * are answered a slice per turn of the event loop instead of all at once.
 */
import { describe, expect, it } from 'vitest';
import { Hub, type JobNotice } from '../src/wait/hub.js';

const notice = (jobId: string, event = false): JobNotice => ({
  jobId,
  tenant: 'acme',
  at: 0,
  ...(event
    ? {
        event: {
          id: '1-0',
          tenant: 'acme',
          jobId,
          type: 'job.updated',
          at: 0,
          data: {} as never,
        },
      }
    : {}),
});

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('Hub', () => {
  it("calls a job's listeners in order, the first slice at once and the rest on later turns", async () => {
    const hub = new Hub();
    const called: number[] = [];
    for (let i = 0; i < 600; i++) hub.onJob('job_a', () => called.push(i));
    hub.onJob('job_b', () => called.push(-1));
    hub.publish(notice('job_a'));
    expect(called.length).toBeGreaterThan(0);
    expect(called.length).toBeLessThan(600);
    for (let turn = 0; turn < 10 && called.length < 600; turn++) await nextTurn();
    expect(called).toEqual(Array.from({ length: 600 }, (_, i) => i));
  });

  it('delivers a notice published while a slice waits after the earlier ones', async () => {
    const hub = new Hub();
    const called: string[] = [];
    for (let i = 0; i < 400; i++) hub.onJob('job_a', (n) => called.push(n.jobId));
    hub.onJob('job_b', (n) => called.push(n.jobId));
    hub.publish(notice('job_a'));
    hub.publish(notice('job_b'));
    for (let turn = 0; turn < 10 && called.length < 401; turn++) await nextTurn();
    expect(called).toHaveLength(401);
    expect(called.at(-1)).toBe('job_b');
  });

  it('skips a listener that unsubscribed before its slice', async () => {
    const hub = new Hub();
    const called: number[] = [];
    const offs = Array.from({ length: 300 }, (_, i) => hub.onJob('job_a', () => called.push(i)));
    hub.publish(notice('job_a'));
    offs[299]?.();
    for (let turn = 0; turn < 10; turn++) await nextTurn();
    expect(called).toHaveLength(299);
    expect(called).not.toContain(299);
    expect(hub.watchedJobs).toBe(1);
  });

  it('tells tenant listeners only of notices from the event log', () => {
    const hub = new Hub();
    const seen: boolean[] = [];
    hub.onTenant('acme', (n) => seen.push(n.event !== undefined));
    hub.publish(notice('job_a'));
    hub.publish(notice('job_a', true));
    expect(seen).toEqual([true]);
  });
});
