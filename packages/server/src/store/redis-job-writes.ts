/**
 * The Redis store's job writes — creating, canceling, and writing lifecycle steps — each one script
 * call that writes the job, its index entries, its event, its webhook delivery and its notice as one
 * atomic step (see `redis-scripts.ts` and the layout in `redis-layout.ts`).
 */
import type { Redis } from 'ioredis';
import { TERMINAL_STEP, type JobRecord } from '../sim/job-model.js';
import { webhookDeliveryFor } from '../webhooks/delivery-policy.js';
import {
  encodeRecord,
  eventJson,
  idempotencyValue,
  indexStateOf,
  replayOf,
  storedEvent,
  type RedisKeys,
} from './redis-layout.js';
import {
  CANCEL_JOB_LUA,
  CREATE_JOB_LUA,
  EMIT_STEPS_LUA,
  EMIT_STRIDE,
  LuaScript,
} from './redis-scripts.js';
import type {
  CancelResult,
  CreateResult,
  IdempotencyInput,
  NewEvent,
  StepEmission,
  StoredEvent,
} from './types.js';

/**
 * `recently-settled` keeps a job this long past the event instant of a later write (it only
 * matters to a listing at an instant before the job's finish).
 */
const RECENTLY_SETTLED_MS = 60_000;
const EMIT_CHUNK = 200;

/** The delivery id and JSON a step's event queues ('' and '' when it queues none). */
function deliveryArgs(record: JobRecord, event: NewEvent, step: number): [string, string] {
  const delivery = webhookDeliveryFor(record, event, step);
  return delivery ? [delivery.id, JSON.stringify(delivery)] : ['', ''];
}

type Guard = <T>(fn: () => Promise<T>) => Promise<T>;

export class RedisJobWrites {
  readonly #scripts = {
    create: new LuaScript(CREATE_JOB_LUA),
    cancel: new LuaScript(CANCEL_JOB_LUA),
    emit: new LuaScript(EMIT_STEPS_LUA),
  };

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly retentionMs: number,
    private readonly guard: Guard,
    private readonly getJobs: (ids: readonly string[]) => Promise<JobRecord[]>,
  ) {}

  async #getOne(id: string): Promise<JobRecord | null> {
    return (await this.getJobs([id]))[0] ?? null;
  }

  async createJob(
    record: JobRecord,
    created: NewEvent,
    idem?: IdempotencyInput,
  ): Promise<CreateResult> {
    const k = this.keys;
    const state = indexStateOf(record);
    const keys = [
      k.job(record.id),
      k.index(state, record.tenant),
      k.unfinishedAt,
      k.recentlySettled,
      k.tenants,
      k.stream(record.tenant),
    ];
    if (idem) keys.push(k.idempotency(record.tenant, idem.key));
    const reply = (await this.guard(() =>
      this.#scripts.create.run(this.redis, keys, [
        record.id,
        record.tenant,
        record.createdAt,
        encodeRecord(record),
        record.finishAt,
        state === 'canceled' ? 'x' : state === 'unfinished' ? 'u' : 's',
        ...storedEvent(record, created),
        k.notices,
        eventJson(created),
        idem ? idempotencyValue(idem.fingerprint, record, created) : '',
        this.retentionMs,
        k.prefix,
        this.retentionMs,
        created.at - RECENTLY_SETTLED_MS,
        record.emittedStep < TERMINAL_STEP ? '1' : '0',
      ]),
    )) as [string, string, string?];
    if (reply[0] === 'idem') return replayOf(reply[1], reply[2], idem?.fingerprint ?? '');
    return { kind: 'created', record: { ...record }, event: { ...created, id: reply[1] } };
  }

  async cancelJob(
    id: string,
    now: number,
    makeEvent: (canceled: JobRecord) => NewEvent,
  ): Promise<CancelResult> {
    // The script adds the time from here to when it runs (see CANCEL_JOB_LUA).
    const askedAtWallMs = Date.now();
    const record = await this.#getOne(id);
    if (!record) return { kind: 'missing' };
    if (record.canceledAt !== null) return { kind: 'already-canceled', record };
    if (now >= record.finishAt) return { kind: 'finished', record };
    const canceled = { ...record, canceledAt: now, emittedStep: TERMINAL_STEP };
    const event = makeEvent(canceled);
    const k = this.keys;
    const reply = (await this.guard(() =>
      this.#scripts.cancel.run(
        this.redis,
        [
          k.job(id),
          k.index('unfinished', record.tenant),
          k.index(record.outcome, record.tenant),
          k.index('canceled', record.tenant),
          k.unfinishedAt,
          k.recentlySettled,
          k.stream(record.tenant),
        ],
        [
          id,
          now,
          encodeRecord(canceled),
          record.createdAt,
          ...storedEvent(canceled, event),
          k.notices,
          eventJson(event),
          k.prefix,
          this.retentionMs,
          ...deliveryArgs(canceled, event, TERMINAL_STEP),
          askedAtWallMs,
        ],
      ),
    )) as [string, string?];
    switch (reply[0]) {
      case 'canceled':
        return { kind: 'canceled', record: canceled, event: { ...event, id: reply[1] ?? '' } };
      case 'already-canceled':
        return {
          kind: 'already-canceled',
          record: {
            ...record,
            canceledAt: record.createdAt + Number(reply[1]),
            emittedStep: TERMINAL_STEP,
          },
        };
      case 'finished':
        return { kind: 'finished', record };
      default:
        return { kind: 'missing' };
    }
  }

  async emitSteps(emissions: readonly StepEmission[]): Promise<StoredEvent[]> {
    const written: StoredEvent[] = [];
    const k = this.keys;
    for (let i = 0; i < emissions.length; i += EMIT_CHUNK) {
      const chunk = emissions.slice(i, i + EMIT_CHUNK);
      // The record decides how the event is stored and whether it queues a webhook (the job's
      // callback settings never change); a job that is gone writes nothing.
      const records = new Map((await this.getJobs(chunk.map((e) => e.id))).map((r) => [r.id, r]));
      const present = chunk.filter((e) => records.has(e.id));
      if (present.length === 0) continue;
      const latest = Math.max(...present.map((e) => e.event.at));
      const keys = [k.unfinishedAt, k.recentlySettled];
      const args: (string | number)[] = [
        k.notices,
        TERMINAL_STEP,
        k.prefix,
        this.retentionMs,
        latest - RECENTLY_SETTLED_MS,
      ];
      for (const e of present) {
        const record = records.get(e.id)!;
        keys.push(
          k.job(e.id),
          k.stream(e.event.tenant),
          k.index('unfinished', record.tenant),
          k.index(record.outcome, record.tenant),
        );
        const entry: (string | number)[] = [
          e.id,
          e.step,
          ...storedEvent(record, e.event),
          eventJson(e.event),
          record.createdAt,
          record.finishAt,
          e.event.at,
          ...deliveryArgs(record, e.event, e.step),
        ];
        if (entry.length !== EMIT_STRIDE) throw new Error('emission arguments out of step');
        args.push(...entry);
      }
      const ids = (await this.guard(() =>
        this.#scripts.emit.run(this.redis, keys, args),
      )) as string[];
      present.forEach((e, j) => {
        const id = ids[j];
        if (id) written.push({ ...e.event, id });
      });
    }
    return written;
  }
}
