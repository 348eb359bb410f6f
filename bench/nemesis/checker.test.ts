/**
 * The checker against hand-made histories: a clean one passes, and each kind of anomaly planted in
 * it is reported under its kind — a checker that cannot fail would prove nothing.
 */
import { describe, expect, it } from 'vitest';
import { check } from './checker.js';
import { arrival, cleanRun, event, job, T0 } from './checker-fixture.js';
import type { History } from './history.js';
import type { Truth } from './truth.js';

const kindsOf = (run: { history: History; truth: Truth }, unresolvedKeys: string[] = []) =>
  check(run.history, run.truth, { unresolvedKeys, startedAt: T0 }).byKind;

describe('the nemesis checker', () => {
  it('finds nothing in a history where everything went right', () => {
    const verdict = check(cleanRun().history, cleanRun().truth, {
      unresolvedKeys: [],
      startedAt: T0,
    });
    expect(verdict.anomalies).toEqual([]);
    expect(verdict.checked['creates acknowledged (201)']).toBe(3);
    expect(verdict.checked['webhook events expected']).toBe(1);
  });

  it('reports an acknowledged create whose job is gone, and one read as 404 after its 201', () => {
    const run = cleanRun();
    run.truth.final.set('a1', 'missing');
    run.history.observe({
      tenant: 'acme',
      jobId: 'a2',
      status: 'missing',
      kind: 'read',
      start: T0 + 50,
      end: T0 + 52,
      source: 'GET /v1/jobs/{id}',
    });
    expect(kindsOf(run)).toMatchObject({ 'lost-create': 1, 'acked-job-missing': 1 });
  });

  it('reports one key answered with two jobs, a reused key accepted, and a create never answered', () => {
    const run = cleanRun();
    run.history.op({
      kind: 'create',
      tenant: 'acme',
      key: 'key-a1',
      bodyTag: 'key-a1',
      purpose: 'replay',
      start: T0 + 900,
      end: T0 + 905,
      result: { ok: true, jobId: 'a2', replayed: true },
    });
    run.history.op({
      kind: 'create',
      tenant: 'acme',
      key: 'key-a2',
      bodyTag: 'key-a2+reuse',
      purpose: 'reuse',
      start: T0 + 900,
      end: T0 + 905,
      result: { ok: true, jobId: 'a9', replayed: false },
    });
    expect(kindsOf(run, ['acme:key-zz'])).toMatchObject({
      'idempotency-split': 1,
      'idempotency-reuse-accepted': 1,
      'create-unresolved': 1,
    });
  });

  it('reports two listed jobs made from one key', () => {
    const run = cleanRun();
    run.truth.listed.set('a3', {
      tenant: 'acme',
      job: {
        ...job('a3', 'completed', T0 + 900),
        source_url: 'https://example.com/nemesis/key-a1.mp4',
      },
    });
    expect(kindsOf(run)).toMatchObject({ 'idempotency-split': 1 });
  });

  it('reports a wait that ended with a wrong outcome, an untyped error, or not at all', () => {
    const run = cleanRun();
    const wait = (jobId: string, outcome: Parameters<History['op']>[0] & { kind: 'wait' }) =>
      run.history.op(outcome);
    wait('a2', {
      kind: 'wait',
      tenant: 'acme',
      jobId: 'a2',
      strategy: 'long-poll',
      start: T0,
      end: T0 + 600,
      outcome: { kind: 'completed', finalStatus: 'completed' },
    });
    wait('a1', {
      kind: 'wait',
      tenant: 'acme',
      jobId: 'a1',
      strategy: 'auto',
      start: T0,
      end: T0 + 600,
      outcome: { kind: 'untyped-error', message: 'boom' },
    });
    wait('g1', {
      kind: 'wait',
      tenant: 'globex',
      jobId: 'g1',
      strategy: 'auto',
      start: T0,
      end: T0 + 600,
      outcome: { kind: 'unsettled' },
    });
    wait('g1', {
      kind: 'wait',
      tenant: 'globex',
      jobId: 'g1',
      strategy: 'auto',
      start: T0,
      end: T0 + 600,
      outcome: { kind: 'typed-error', name: 'WaitTimeoutError', message: 'late' },
    });
    const verdict = check(run.history, run.truth, { unresolvedKeys: [], startedAt: T0 });
    expect(verdict.byKind).toMatchObject({
      'wrong-wait': 1,
      'wait-untyped-error': 1,
      'wait-unsettled': 1,
    });
    expect(verdict.notes).toContain('1 waits ended with WaitTimeoutError (documented)');
  });

  it('reports a job seen completed and later canceled, and a pending read after an ended one', () => {
    const run = cleanRun();
    run.history.observe({
      tenant: 'acme',
      jobId: 'a2',
      status: 'completed',
      kind: 'read',
      start: T0 + 400,
      end: T0 + 402,
      source: 'GET /v1/jobs/{id}',
    });
    run.history.observe({
      tenant: 'acme',
      jobId: 'a1',
      status: 'pending',
      kind: 'read',
      start: T0 + 1200,
      end: T0 + 1202,
      source: 'GET /v1/jobs?ids=',
    });
    expect(kindsOf(run)).toMatchObject({ 'terminal-flip': 1, 'stale-read': 1 });
  });

  it('does not take an event or a replayed create for a read of the present', () => {
    const run = cleanRun();
    run.history.observe({
      tenant: 'acme',
      jobId: 'a1',
      status: 'pending',
      kind: 'record',
      start: T0 + 1500,
      end: T0 + 1500,
      source: 'GET /v1/events',
    });
    expect(kindsOf(run)).toEqual({});
  });

  it('reports a cancel answered 409 for a job that ends canceled', () => {
    const run = cleanRun();
    run.history.observe({
      tenant: 'acme',
      jobId: 'a2',
      status: 'finished',
      kind: 'read',
      start: T0 + 800,
      end: T0 + 801,
      source: 'cancelJob 409',
    });
    expect(kindsOf(run)).toMatchObject({ 'terminal-flip': 1 });
  });

  it('reports a reader that missed an event across a reconnect, got one twice, or one the log lacks', () => {
    const gap = cleanRun();
    gap.history.sessions[1]!.events.shift();
    expect(kindsOf(gap)).toMatchObject({ 'event-gap': 1 });
    const dup = cleanRun();
    const again = dup.history.sessions[0]!.events[1]!;
    dup.history.sessions[1]!.events.unshift({ ...again });
    expect(kindsOf(dup)).toMatchObject({ 'event-order': 1 });
    const unknown = cleanRun();
    unknown.history.sessions[1]!.events.push({ ...again, id: `${T0 + 5000}-0` });
    expect(kindsOf(unknown)).toMatchObject({ 'event-unknown': 1 });
  });

  it('reports a replay from the start that skipped the first event, and a reader left behind', () => {
    const run = cleanRun();
    run.history.sessions[0]!.events.shift();
    run.history.sessions[1]!.events.pop();
    expect(kindsOf(run)).toMatchObject({ 'event-gap': 1, 'event-reader-behind': 1 });
  });

  it('reports a log without a terminal event, with two, and one that differs from the stream', () => {
    const run = cleanRun();
    run.truth.events.get('globex')!.pop();
    run.truth.events
      .get('acme')!
      .push(event(`${T0 + 1001}-0`, 'job.failed', 'a1', 'error', T0 + 1001));
    const verdict = check(run.history, run.truth, { unresolvedKeys: [], startedAt: T0 });
    expect(verdict.byKind['event-log']).toBe(2);
    expect(verdict.byKind['event-log-vs-stream']).toBe(2);
  });

  it('reports a webhook never answered 2xx, one under two ids, a bad signature, an unknown event', () => {
    const run = cleanRun();
    run.history.arrivals.splice(1, 1);
    expect(kindsOf(run)).toMatchObject({ 'webhook-missing': 1 });
    const unstable = cleanRun();
    unstable.history.arrivals[1] = {
      ...unstable.history.arrivals[1]!,
      webhookId: 'msg_a1_7',
      signatureOk: false,
    };
    expect(kindsOf(unstable)).toMatchObject({
      'webhook-id-unstable': 1,
      'webhook-bad-signature': 1,
    });
    const unknown = cleanRun();
    unknown.history.arrivals.push({
      ...arrival('msg_a2_6', 'a2', T0 + 600, 204),
      type: 'job.completed',
    });
    expect(kindsOf(unknown)).toMatchObject({ 'webhook-unknown-event': 1 });
  });

  it('tells a resend after a kill from a second send by a live instance', () => {
    const twice = cleanRun();
    twice.history.arrivals.push(arrival('msg_a1_6', 'a1', T0 + 1215, 204));
    expect(kindsOf(twice)).toMatchObject({ 'webhook-double-send': 1 });
    const afterKill = cleanRun();
    afterKill.history.arrivals.push(arrival('msg_a1_6', 'a1', T0 + 9300, 204));
    afterKill.history.faults.push({
      kind: 'instance-kill',
      target: 'vtrans-b',
      start: T0 + 1300,
      end: T0 + 3000,
      detail: '',
    });
    const verdict = check(afterKill.history, afterKill.truth, {
      unresolvedKeys: [],
      startedAt: T0,
    });
    expect(verdict.anomalies).toEqual([]);
    expect(verdict.notes).toContain(
      '1 webhook resends after a crash between sending and recording (documented)',
    );
    // Redis killed just before the send arrived: the attempt could not be recorded.
    const redisDown = cleanRun();
    redisDown.history.arrivals.push(arrival('msg_a1_6', 'a1', T0 + 10_300, 204));
    redisDown.history.faults.push({
      kind: 'redis-kill',
      target: 'redis',
      start: T0 + 1205,
      end: T0 + 2800,
      detail: '',
    });
    expect(kindsOf(redisDown)).toEqual({});
    // A kill long after the send explains nothing.
    const unrelated = cleanRun();
    unrelated.history.arrivals.push(arrival('msg_a1_6', 'a1', T0 + 10_300, 204));
    unrelated.history.faults.push({
      kind: 'instance-kill',
      target: 'vtrans-a',
      start: T0 + 8000,
      end: T0 + 9000,
      detail: '',
    });
    expect(kindsOf(unrelated)).toMatchObject({ 'webhook-double-send': 1 });
    const unseen = cleanRun();
    unseen.history.arrivals.shift();
    expect(kindsOf(unseen)).toMatchObject({ 'webhook-attempt-unseen': 1 });
  });

  it("reports a tenant that saw another's job: in an answer, a probe, a listing", () => {
    const run = cleanRun();
    run.history.observe({
      tenant: 'globex',
      jobId: 'a1',
      status: 'completed',
      kind: 'read',
      start: T0 + 1500,
      end: T0 + 1502,
      source: 'GET /v1/jobs?ids=',
    });
    run.history.op({
      kind: 'probe',
      tenant: 'globex',
      jobId: 'a2',
      owner: 'acme',
      action: 'cancel',
      start: T0,
      end: T0 + 1,
      outcome: 'leaked',
    });
    run.truth.listed.set('a1', { tenant: 'globex', job: job('a1', 'completed', T0 + 1000) });
    expect(kindsOf(run)['tenant-leak']).toBeGreaterThanOrEqual(3);
  });
});
