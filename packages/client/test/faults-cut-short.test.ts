/**
 * Answers cut short while waits share one batch long poll (the `truncate` and `reset` faults of
 * `bench/chaos`): the status and headers arrive, the body does not. Such an answer must not count
 * (its ETag is not the client's), the batch is re-armed from the last whole answer, waits that
 * joined meanwhile are in the next request, and every wait resolves on the first whole answer
 * that reports its job done.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { Job, UpdateInfo } from '@vtrans/client';
import type { Clock } from '../src/internal/clock.js';
import { TUNING } from '../src/internal/tuning.js';
import { clientOnClock, createScaledClock } from './helpers/clock.js';
import {
  completedJson,
  idsOf,
  jobJson,
  sendCutShort,
  sendJson,
  useScriptedServers,
} from './helpers/scripted-server.js';

const serve = useScriptedServers();

const HELD = { 'preference-applied': 'wait=50' };

// With random() = 0.5: a quick re-arm waits 50 × 0.75 = 38 ms; backoff from 500 ms waits 375 ms,
// then 750 ms, 1500 ms (see internal/retry.ts).
const QUICK_MS = 38;

/** A batch answer for the ids asked, the jobs in `done` completed. */
function page(req: IncomingMessage, done: readonly string[]): Record<string, unknown> {
  const data = idsOf(req).map((id) =>
    done.includes(id) ? completedJson({ id }) : jobJson({ id }),
  );
  return { data, next_cursor: null, not_found: [] };
}

/** Answers after `delayMs` of real time (a held request woken by a change), unless abandoned. */
function answerAfter(res: ServerResponse, delayMs: number, answer: () => void): void {
  const timer = setTimeout(answer, delayMs);
  res.on('close', () => clearTimeout(timer));
}

/** Sleeps among the scheduled delays: not 0 ms yields, request timeouts or deadlines. */
function retrySleeps(delays: readonly number[]): number[] {
  return delays.filter((d) => d > 0 && d < 10_000);
}

/** What each request asked: its ids, whether it asked a hold, and its `If-None-Match`. */
function asked(srv: { requests: readonly { url: string; headers: IncomingMessage['headers'] }[] }) {
  return srv.requests.map((r) => ({
    ids: new URL(r.url, 'http://x').searchParams.get('ids'),
    isHeld: r.headers.prefer !== undefined,
    ifNoneMatch: r.headers['if-none-match'],
  }));
}

/** Records each wait's updates as `id status@attempt/transport`. */
function recorder(): { seen: string[]; onUpdate: (job: Job, info: UpdateInfo) => void } {
  const seen: string[] = [];
  return {
    seen,
    onUpdate: (job, info) => seen.push(`${job.id} ${job.status}@${info.attempt}/${info.transport}`),
  };
}

describe('a batch long poll whose answers are cut short', () => {
  it('re-arms from the last whole answer after every cut, and each wait resolves on the first whole answer reporting it done', async () => {
    const abc = 'job_a,job_b,job_c';
    const srv = await serve((req, res, i) => {
      const a = page(req, ['job_a']);
      const headers = (etag: string) => ({ ...HELD, etag });
      switch (i) {
        case 0:
          return sendJson(res, 200, page(req, []), { etag: 'W/"s1"' });
        case 1: // The hold ends on job_a's change; the answer breaks off mid-JSON.
          return answerAfter(res, 20, () =>
            sendCutShort(res, 200, a, headers('W/"s2"'), { share: 0.5, mode: 'truncate' }),
          );
        case 2: // Headers only.
          return sendCutShort(res, 200, a, headers('W/"s2"'), { share: 0, mode: 'truncate' });
        case 3: // A connection reset mid-body (chunked, so no length tells).
          return sendCutShort(res, 200, a, headers('W/"s2"'), { share: 0.6, mode: 'reset' });
        case 4: {
          // Cut, then re-framed whole by something in between: only the JSON parser can tell.
          const text = JSON.stringify(a);
          res.writeHead(200, { 'content-type': 'application/json', ...headers('W/"s2"') });
          res.end(text.slice(0, text.length - 20));
          return;
        }
        case 5:
          return sendJson(res, 200, a, headers('W/"s2"'));
        case 6: // The first answer after a success, cut one byte short of whole.
          return answerAfter(res, 20, () =>
            sendCutShort(res, 200, page(req, ['job_a', 'job_b', 'job_c']), headers('W/"s3"'), {
              share: 0.999,
              mode: 'truncate',
            }),
          );
        default:
          return sendJson(res, 200, page(req, ['job_a', 'job_b', 'job_c']), headers('W/"s3"'));
      }
    });
    const clock = createScaledClock(1000);
    const client = clientOnClock(srv.url, clock);
    const { seen, onUpdate } = recorder();

    // An hour of the 1000x clock (3.6 s of real time): the default 10 min (0.6 s) ran out on a
    // loaded machine; the holds (50 s) and the sleeps asserted below do not depend on it.
    const done = await Promise.all(
      ['job_a', 'job_b', 'job_c'].map((id) =>
        client.waitForJob(id, { onUpdate, timeoutMs: 3_600_000 }),
      ),
    );

    expect(done.map((job) => job.status)).toEqual(['completed', 'completed', 'completed']);
    expect(asked(srv)).toEqual([
      { ids: abc, isHeld: false, ifNoneMatch: undefined },
      ...Array.from({ length: 5 }, () => ({ ids: abc, isHeld: true, ifNoneMatch: 'W/"s1"' })),
      { ids: abc, isHeld: true, ifNoneMatch: 'W/"s2"' },
      { ids: abc, isHeld: true, ifNoneMatch: 'W/"s2"' },
    ]);
    // Each wait settles on the first whole answer that reports its job done, not a request later.
    expect(seen.filter((s) => s.includes('completed'))).toEqual([
      'job_a completed@6/batch-long-poll',
      'job_b completed@8/batch-long-poll',
      'job_c completed@8/batch-long-poll',
    ]);
    // The window the waits joined in; four cuts in a row: quick, then backoff; the cut after a
    // success is retried quickly again.
    expect(retrySleeps(clock.delays)).toEqual([
      TUNING.joinCoalesceMs,
      QUICK_MS,
      375,
      750,
      1500,
      QUICK_MS,
    ]);
  });

  it('backs off no further than retry.maxDelayMs (3 s by default) through a long streak of cut answers', async () => {
    const ab = ['job_a', 'job_b'];
    const srv = await serve((req, res, i) => {
      if (i === 0) return sendJson(res, 200, page(req, []), { etag: 'W/"s1"' });
      const answer = page(req, ab);
      const headers = { ...HELD, etag: 'W/"s2"' };
      if (i <= 8) return sendCutShort(res, 200, answer, headers, { share: 0.5, mode: 'truncate' });
      return sendJson(res, 200, answer, headers);
    });
    const clock = createScaledClock(1000);
    const client = clientOnClock(srv.url, clock);

    const done = await Promise.all(ab.map((id) => client.waitForJob(id)));

    expect(done.map((job) => job.status)).toEqual(['completed', 'completed']);
    expect(srv.requests).toHaveLength(10);
    // Eight cuts in a row: quick, then 375, 750, 1500 ms and the cap (3 s × 0.75 with random() =
    // 0.5) — with a 10 s cap the streak would sleep 3, 6, 7.5 and 7.5 s and notice 15 s later.
    const capped = 0.75 * 3000;
    expect(retrySleeps(clock.delays)).toEqual([
      TUNING.joinCoalesceMs,
      QUICK_MS,
      375,
      750,
      1500,
      capped,
      capped,
      capped,
      capped,
    ]);
  });

  it('does not take an answer that leaves a job out, so a 304 against its ETag cannot blind that job', async () => {
    const srv = await serve((req, res, i) => {
      if (i === 0) return sendJson(res, 200, page(req, []), { etag: 'W/"s1"' });
      if (i === 1) {
        // Whole JSON, but job_b is neither in data nor in not_found (a broken server or proxy).
        const partial = {
          data: [completedJson({ id: 'job_a' })],
          next_cursor: null,
          not_found: [],
        };
        return answerAfter(res, 20, () => sendJson(res, 200, partial, { ...HELD, etag: 'W/"s2"' }));
      }
      if (req.headers['if-none-match'] === 'W/"s2"') {
        // Nothing changed since s2, says the server: only right if s2 had told the whole truth.
        return answerAfter(res, 20, () => {
          res.writeHead(304, { ...HELD, etag: 'W/"s2"' });
          res.end();
        });
      }
      return sendJson(res, 200, page(req, ['job_a', 'job_b']), { ...HELD, etag: 'W/"s3"' });
    });
    const clock = createScaledClock(1000);
    const client = clientOnClock(srv.url, clock);

    const done = await Promise.all(
      // 600 s of the 1000x clock: 120 s (120 ms of real time) ran out on a loaded machine.
      ['job_a', 'job_b'].map((id) => client.waitForJob(id, { timeoutMs: 600_000 })),
    );

    expect(done.map((job) => `${job.id} ${job.status}`)).toEqual([
      'job_a completed',
      'job_b completed',
    ]);
    // The partial answer was refused: the retry still asks against the last whole answer.
    expect(asked(srv).slice(1, 3)).toEqual([
      { ids: 'job_a,job_b', isHeld: true, ifNoneMatch: 'W/"s1"' },
      { ids: 'job_a,job_b', isHeld: true, ifNoneMatch: 'W/"s1"' },
    ]);
  });

  it('puts a wait that joins while a held answer is arriving cut short into the very next request', async () => {
    let headersSeen: () => void = () => undefined;
    const heldAnswerArriving = new Promise<void>((resolve) => (headersSeen = resolve));
    const srv = await serve((req, res, i) => {
      if (i === 0) return sendJson(res, 200, page(req, []), { etag: 'W/"s1"' });
      if (i === 1) {
        // Half an answer, and the rest never comes: the join must not wait on it.
        res.writeHead(200, { 'content-type': 'application/json', ...HELD, etag: 'W/"s2"' });
        return void res.write(JSON.stringify(page(req, ['job_a'])).slice(0, 40));
      }
      if (i === 2) {
        return sendCutShort(
          res,
          200,
          page(req, ['job_a']),
          { etag: 'W/"s2"' },
          {
            share: 0.3,
            mode: 'truncate',
          },
        );
      }
      if (i === 3) return sendJson(res, 200, page(req, ['job_a']), { etag: 'W/"s3"' });
      answerAfter(res, 20, () =>
        sendJson(res, 200, page(req, ['job_a', 'job_b', 'job_c']), { ...HELD, etag: 'W/"s4"' }),
      );
    });
    const clock = createScaledClock(1000);
    let requestCount = 0;
    const client = clientOnClock(srv.url, clock, {
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (requestCount++ === 1) headersSeen();
        return response;
      },
    });
    const { seen, onUpdate } = recorder();

    const first = ['job_a', 'job_b'].map((id) => client.waitForJob(id, { onUpdate }));
    await heldAnswerArriving;
    const joined = client.waitForJob('job_c', { onUpdate });
    const done = await Promise.all([...first, joined]);

    expect(done.map((job) => job.status)).toEqual(['completed', 'completed', 'completed']);
    // 1 abandoned by the client for the join, 2 cut by the server.
    expect(srv.closedEarly).toEqual([1, 2]);
    expect(asked(srv)).toEqual([
      { ids: 'job_a,job_b', isHeld: false, ifNoneMatch: undefined },
      { ids: 'job_a,job_b', isHeld: true, ifNoneMatch: 'W/"s1"' },
      // A new id set starts with a snapshot; the cut one is retried as one.
      { ids: 'job_a,job_b,job_c', isHeld: false, ifNoneMatch: undefined },
      { ids: 'job_a,job_b,job_c', isHeld: false, ifNoneMatch: undefined },
      { ids: 'job_a,job_b,job_c', isHeld: true, ifNoneMatch: 'W/"s3"' },
    ]);
    expect(seen.filter((s) => s.includes('completed'))).toEqual([
      'job_a completed@4/batch-long-poll',
      'job_b completed@5/batch-long-poll',
      'job_c completed@3/batch-long-poll',
    ]);
    // The window the first two joined in, the third's, then a quick retry: abandoning the half
    // answer for the join was no failure.
    expect(retrySleeps(clock.delays)).toEqual([
      TUNING.joinCoalesceMs,
      TUNING.joinCoalesceMs,
      QUICK_MS,
    ]);
  });

  it('puts a wait that joins while the batch waits to retry a cut answer into the retry', async () => {
    const srv = await serve((req, res, i) => {
      if (i === 0) return sendJson(res, 200, page(req, []), { etag: 'W/"s1"' });
      if (i === 1) {
        return answerAfter(res, 20, () =>
          sendCutShort(
            res,
            200,
            page(req, ['job_a']),
            { ...HELD, etag: 'W/"s2"' },
            {
              share: 0.5,
              mode: 'reset',
            },
          ),
        );
      }
      if (i === 2) return sendJson(res, 200, page(req, ['job_a']), { etag: 'W/"s3"' });
      if (i === 3) {
        return sendCutShort(
          res,
          200,
          page(req, ['job_a', 'job_b']),
          { ...HELD, etag: 'W/"s4"' },
          {
            share: 0.8,
            mode: 'truncate',
          },
        );
      }
      sendJson(res, 200, page(req, ['job_a', 'job_b', 'job_c']), { ...HELD, etag: 'W/"s5"' });
    });
    const scaled = createScaledClock(1000);
    const { seen, onUpdate } = recorder();
    let joined: Promise<Job> | undefined;
    // The third wait joins the moment the batch schedules its first retry.
    const clock: Clock = {
      now: () => scaled.now(),
      clearTimeout: (handle) => scaled.clearTimeout(handle),
      setTimeout: (callback, delayMs) => {
        if (delayMs === QUICK_MS && joined === undefined) {
          queueMicrotask(() => {
            joined = client.waitForJob('job_c', { onUpdate });
          });
        }
        return scaled.setTimeout(callback, delayMs);
      },
    };
    const client = clientOnClock(srv.url, clock);

    const first = await Promise.all(
      ['job_a', 'job_b'].map((id) => client.waitForJob(id, { onUpdate })),
    );
    expect(joined).toBeDefined();
    const last = await joined;

    expect([...first, last].map((job) => job?.status)).toEqual([
      'completed',
      'completed',
      'completed',
    ]);
    expect(asked(srv)).toEqual([
      { ids: 'job_a,job_b', isHeld: false, ifNoneMatch: undefined },
      { ids: 'job_a,job_b', isHeld: true, ifNoneMatch: 'W/"s1"' },
      { ids: 'job_a,job_b,job_c', isHeld: false, ifNoneMatch: undefined },
      { ids: 'job_a,job_b,job_c', isHeld: true, ifNoneMatch: 'W/"s3"' },
      { ids: 'job_a,job_b,job_c', isHeld: true, ifNoneMatch: 'W/"s3"' },
    ]);
    expect(seen.filter((s) => s.includes('completed'))).toEqual([
      'job_a completed@3/batch-long-poll',
      'job_b completed@5/batch-long-poll',
      'job_c completed@3/batch-long-poll',
    ]);
    // The first two's join window; the quick retry, the third's join window within it; after a
    // success, the next cut is retried quickly again.
    expect(retrySleeps(scaled.delays)).toEqual([
      TUNING.joinCoalesceMs,
      QUICK_MS,
      TUNING.joinCoalesceMs,
      QUICK_MS,
    ]);
  });
});
