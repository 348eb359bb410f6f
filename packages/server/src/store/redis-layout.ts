/**
 * How the Redis store lays out a job, its index entries, its events and its idempotency key — the
 * encodings shared by the store, its Lua scripts and anything that writes the layout directly (the
 * growth benchmark's populate path). Small on purpose: a day at 100 jobs/s is millions of jobs.
 *
 * - `job:<id>` string: `<emittedStep>|<canceledAt - createdAt or ''>|<createdAt>|<finishAt -
 *   createdAt>|<outcome: c, e>|<JSON array of the rest>` — the fields the scripts read and change
 *   first, as plain numbers, so a script changes a job with a string splice, never re-encoding JSON;
 * - `jobs:<state>:<tenant>` sorted sets, score createdAt: each job is in exactly one, `unfinished`
 *   (terminal event unwritten), `completed`, `error` or `canceled` — the listing indexes;
 * - `unfinished-at` sorted set, score finishAt: every job whose terminal event is unwritten (the
 *   scheduler's work list, and which of them have passed their finish instant);
 * - `recently-settled` sorted set, score finishAt: jobs whose terminal event was written lately, so a
 *   listing at an instant just before their finish still finds them pending;
 * - `events:<tenant>` stream: an event is stored as `c` = `<type> <instant> <job id>` (the instant
 *   after the job's creation, the id without `job_`) when its payload is the job as its record shows
 *   it at that instant (rebuilt on reading), otherwise as `e` = the whole event JSON;
 * - `idem:<len>:<tenant>:<key>` string: a digest of the request's fingerprint, a newline, then the
 *   job's id (the reply is the job as created) or the reply's JSON.
 */
import { createHash } from 'node:crypto';
import {
  materialize,
  TERMINAL_STEP,
  type Job,
  type JobOutcome,
  type JobRecord,
} from '../sim/job-model.js';
import { EVENT_TYPES, type EventType, type NewEvent, type StoredEvent } from './types.js';

/** Written under `layout` at first use; a store refuses data of another layout. */
export const LAYOUT_VERSION = '2';

/**
 * A compact event is rebuilt from its job's record, so it cannot outlive the record by much: an
 * event written longer than this after its job ended (a catch-up after an outage) is stored whole.
 */
export const COMPACT_EVENT_SLACK_MS = 60_000;

/** Where a job sits in its tenant's listing indexes. */
export type IndexState = 'unfinished' | 'completed' | 'error' | 'canceled';

export class RedisKeys {
  constructor(readonly prefix: string) {}

  job(id: string): string {
    return `${this.prefix}job:${id}`;
  }

  index(state: IndexState | JobOutcome, tenant: string): string {
    return `${this.prefix}jobs:${state}:${tenant}`;
  }

  stream(tenant: string): string {
    return `${this.prefix}events:${tenant}`;
  }

  idempotency(tenant: string, key: string): string {
    return `${this.prefix}idem:${tenant.length}:${tenant}:${key}`;
  }

  get unfinishedAt(): string {
    return `${this.prefix}unfinished-at`;
  }

  get recentlySettled(): string {
    return `${this.prefix}recently-settled`;
  }

  get tenants(): string {
    return `${this.prefix}tenants`;
  }

  get notices(): string {
    return `${this.prefix}notices`;
  }

  get layout(): string {
    return `${this.prefix}layout`;
  }
}

/** The listing index a record belongs in. */
export function indexStateOf(record: JobRecord): IndexState | JobOutcome {
  if (record.canceledAt !== null) return 'canceled';
  return record.emittedStep >= TERMINAL_STEP ? record.outcome : 'unfinished';
}

const OUTCOME_CODES: Record<string, string> = { completed: 'c', error: 'e' };
const OUTCOMES: Record<string, JobOutcome> = { c: 'completed', e: 'error' };

/** The code a script compares a job's status at an instant with (`status_of` in the scripts). */
export const STATUS_CODES = { pending: 'p', canceled: 'x', completed: 'c', error: 'e' } as const;

/** The record as its `job:<id>` value. */
export function encodeRecord(r: JobRecord): string {
  const rest: unknown[] = [
    r.tenant,
    r.etaAt - r.createdAt,
    r.sourceUrl,
    r.targetLanguage,
    r.callbackUrl,
    r.callbackEvents,
    r.errorCode,
    r.errorMessage,
  ];
  while (rest.length > 1 && rest[rest.length - 1] === null) rest.pop();
  const canceled = r.canceledAt === null ? '' : String(r.canceledAt - r.createdAt);
  const outcome = OUTCOME_CODES[r.outcome] ?? r.outcome;
  return `${r.emittedStep}|${canceled}|${r.createdAt}|${r.finishAt - r.createdAt}|${outcome}|${JSON.stringify(rest)}`;
}

/** The record a `job:<id>` value holds. */
export function decodeRecord(id: string, value: string): JobRecord {
  const fields = value.split('|', 5);
  const rest = JSON.parse(value.slice(fields.join('|').length + 1)) as unknown[];
  const [step, canceled, created, duration, outcome] = fields;
  const createdAt = Number(created);
  const at = (i: number) => (rest[i] === undefined ? null : rest[i]);
  return {
    id,
    tenant: rest[0] as string,
    sourceUrl: at(2) as string | null,
    targetLanguage: at(3) as string | null,
    callbackUrl: at(4) as string | null,
    callbackEvents: at(5) as string[] | null,
    createdAt,
    etaAt: createdAt + Number(rest[1]),
    finishAt: createdAt + Number(duration),
    outcome: OUTCOMES[outcome ?? ''] ?? (outcome as JobOutcome),
    errorCode: at(6) as string | null,
    errorMessage: at(7) as string | null,
    canceledAt: canceled === '' || canceled === undefined ? null : createdAt + Number(canceled),
    emittedStep: Number(step),
  };
}

/** What `JSON.stringify(array)` of a tenant starts with: a script matches a job's tenant by it. */
export const tenantPrefix = (tenant: string): string => `[${JSON.stringify(tenant)},`;

/** The job an event of this type at `at` shows, as the record says (a cancel shows only in its own). */
function jobAt(record: JobRecord, type: EventType, at: number): Job {
  return materialize(type === 'job.canceled' ? record : { ...record, canceledAt: null }, at);
}

/** The whole event as JSON (the notice, and the stored form of an event that cannot be rebuilt). */
export const eventJson = (event: NewEvent): string =>
  JSON.stringify({
    tenant: event.tenant,
    jobId: event.jobId,
    type: event.type,
    at: event.at,
    data: event.data,
  });

/** Job ids are `job_` and 20 characters: a compact event stores the 20 (its type code says so). */
const ID_PREFIX = 'job_';
const RAW_ID = EVENT_TYPES.length;

/**
 * The stream field and value an event is stored as: `c` = `<type> <at - createdAt> <id>` when the
 * record rebuilds it (type codes from `RAW_ID` on mean the id is whole, below it that it lost its
 * `job_`), `e` = the whole event otherwise.
 */
export function storedEvent(record: JobRecord, event: NewEvent): ['c' | 'e', string] {
  const type = EVENT_TYPES.indexOf(event.type);
  const endedAt = event.type === 'job.canceled' ? (record.canceledAt ?? 0) : record.finishAt;
  if (
    type >= 0 &&
    event.tenant === record.tenant &&
    event.jobId === record.id &&
    Number.isSafeInteger(event.at - record.createdAt) &&
    event.at <= endedAt + COMPACT_EVENT_SLACK_MS &&
    JSON.stringify(event.data) === JSON.stringify(jobAt(record, event.type, event.at))
  ) {
    const id = event.jobId;
    const short = id.startsWith(ID_PREFIX);
    const code = short ? type : type + RAW_ID;
    return [
      'c',
      `${code} ${event.at - record.createdAt} ${short ? id.slice(ID_PREFIX.length) : id}`,
    ];
  }
  return ['e', eventJson(event)];
}

/** A compact event's type, job id, and instant as an offset from the job's creation. */
export function parseCompactEvent(value: string): {
  type: EventType;
  offsetMs: number;
  jobId: string;
} {
  const first = value.indexOf(' ');
  const second = value.indexOf(' ', first + 1);
  const code = Number(value.slice(0, first));
  const id = value.slice(second + 1);
  return {
    type: EVENT_TYPES[code % RAW_ID] ?? 'job.updated',
    offsetMs: Number(value.slice(first + 1, second)),
    jobId: code < RAW_ID ? ID_PREFIX + id : id,
  };
}

/**
 * A stream entry as the event it stores; `undefined` for a compact one whose job is gone (deleted
 * by retention: the event was at most a minute younger than the job's end).
 */
export function decodeEvent(
  id: string,
  tenant: string,
  fields: readonly string[],
  records: ReadonlyMap<string, JobRecord>,
): StoredEvent | undefined {
  const [field, value] = fields;
  if (value === undefined) return undefined;
  if (field === 'e') return { id, ...(JSON.parse(value) as NewEvent) };
  const { type, offsetMs, jobId } = parseCompactEvent(value);
  const record = records.get(jobId);
  if (!record) return undefined;
  const at = record.createdAt + offsetMs;
  return { id, tenant, jobId, type, at, data: jobAt(record, type, at) };
}

/** What an idempotency entry keeps of a request's fingerprint: 96 bits of its hash. */
const fingerprintDigest = (fingerprint: string): string =>
  createHash('sha256').update(fingerprint).digest('base64url').slice(0, 16);

/**
 * The idempotency entry of a job created with `created`: a digest of the fingerprint, then the
 * reply by reference when the record rebuilds it (`j` + the id without `job_`, or `i` + the whole
 * id), or `d` + the reply's JSON.
 */
export function idempotencyValue(
  fingerprint: string,
  record: JobRecord,
  created: NewEvent,
): string {
  const digest = fingerprintDigest(fingerprint);
  const byReference =
    created.at === record.createdAt &&
    JSON.stringify(created.data) === JSON.stringify(jobAt(record, 'job.created', created.at));
  if (!byReference) return `${digest}\nd${JSON.stringify(created.data)}`;
  const id = record.id;
  return id.startsWith(ID_PREFIX)
    ? `${digest}\nj${id.slice(ID_PREFIX.length)}`
    : `${digest}\ni${id}`;
}

/**
 * What a stored idempotency entry answers a request with this fingerprint (`job` is the value of
 * the job it refers to, which the script read with it).
 */
export function replayOf(
  value: string,
  job: string | undefined,
  fingerprint: string,
): { kind: 'replayed'; response: Job } | { kind: 'conflict' } {
  const newline = value.indexOf('\n');
  if (value.slice(0, newline) !== fingerprintDigest(fingerprint)) return { kind: 'conflict' };
  const kind = value[newline + 1];
  const rest = value.slice(newline + 2);
  if (kind === 'd') return { kind: 'replayed', response: JSON.parse(rest) as Job };
  const record = decodeRecord(kind === 'j' ? ID_PREFIX + rest : rest, job ?? '');
  return { kind: 'replayed', response: jobAt(record, 'job.created', record.createdAt) };
}
