/**
 * The job model: the stored record and the pure function that turns a record and an instant into
 * the job a client sees. Status, stage and progress are never stored; every instance that reads
 * the record computes the same answer.
 */
export const JOB_STATUSES = ['pending', 'completed', 'error', 'canceled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_STATUSES: readonly JobStatus[] = ['completed', 'error', 'canceled'];

export const JOB_STAGES = [
  'queued',
  'transcribing',
  'translating',
  'voicing',
  'lip_syncing',
  'rendering',
] as const;
export type JobStage = (typeof JOB_STAGES)[number];

/** Fraction of the real duration at which each stage starts. */
const STAGE_STARTS: readonly number[] = [0, 0.05, 0.25, 0.45, 0.65, 0.85];

/** Lifecycle steps: 0 created, 1..5 the stages after `queued`, 6 the terminal change. */
export const TERMINAL_STEP = JOB_STAGES.length;

export type JobOutcome = 'completed' | 'error';

/** What the store keeps for a job. Times are epoch milliseconds. */
export interface JobRecord {
  id: string;
  tenant: string;
  sourceUrl: string | null;
  targetLanguage: string | null;
  callbackUrl: string | null;
  callbackEvents: string[] | null;
  createdAt: number;
  /** The instant reported as `eta`: creation plus the mean duration. */
  etaAt: number;
  /** The real finish instant, drawn at creation. */
  finishAt: number;
  outcome: JobOutcome;
  errorCode: string | null;
  errorMessage: string | null;
  canceledAt: number | null;
  /** Highest lifecycle step whose event has been written (see `TERMINAL_STEP`). */
  emittedStep: number;
}

/**
 * A record of its own, built field by field in one order: every copy shares one hidden class (a
 * spread copy of records from different sources does not, and takes about twice the memory).
 */
export function copyRecord(r: JobRecord): JobRecord {
  return {
    id: r.id,
    tenant: r.tenant,
    sourceUrl: r.sourceUrl,
    targetLanguage: r.targetLanguage,
    callbackUrl: r.callbackUrl,
    callbackEvents: r.callbackEvents && [...r.callbackEvents],
    createdAt: r.createdAt,
    etaAt: r.etaAt,
    finishAt: r.finishAt,
    outcome: r.outcome,
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
    canceledAt: r.canceledAt,
    emittedStep: r.emittedStep,
  };
}

export interface JobError {
  code: string;
  message: string;
}

/** The job as the API shows it. */
export interface Job {
  id: string;
  status: JobStatus;
  progress: number;
  stage: JobStage | null;
  source_url: string | null;
  target_language: string | null;
  created_at: string;
  updated_at: string;
  eta: string | null;
  completed_at: string | null;
  error: JobError | null;
  result: { video_url: string } | null;
  version: number;
}

/**
 * ISO strings of instants formatted lately. A job's created, eta and finish instants are formatted
 * on every read of it, and `toISOString` costs about a microsecond; a lookup, a few nanoseconds.
 */
const isoMemo = new Map<number, string>();
const ISO_MEMO_SIZE = 8192;

function iso(ms: number): string {
  let text = isoMemo.get(ms);
  if (text === undefined) {
    if (isoMemo.size >= ISO_MEMO_SIZE) isoMemo.clear();
    text = new Date(ms).toISOString();
    isoMemo.set(ms, text);
  }
  return text;
}

/** The instant a lifecycle step happens. */
export function stepInstant(rec: Pick<JobRecord, 'createdAt' | 'finishAt'>, step: number): number {
  if (step >= TERMINAL_STEP) return rec.finishAt;
  const duration = rec.finishAt - rec.createdAt;
  return rec.createdAt + Math.floor(duration * (STAGE_STARTS[step] ?? 0));
}

/** The lifecycle step a job is at, at `now`. */
export function stepAt(
  rec: Pick<JobRecord, 'canceledAt' | 'createdAt' | 'finishAt'>,
  now: number,
): number {
  if (rec.canceledAt !== null || now >= rec.finishAt) return TERMINAL_STEP;
  let step = 0;
  while (step + 1 < TERMINAL_STEP && stepInstant(rec, step + 1) <= now) step++;
  return step;
}

/** The status at `now`: canceled wins; otherwise the drawn outcome once the finish instant passed. */
export function statusAt(rec: JobRecord, now: number): JobStatus {
  if (rec.canceledAt !== null) return 'canceled';
  return now >= rec.finishAt ? rec.outcome : 'pending';
}

export function isTerminal(status: string): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

/** Version: 1 while pending, 2 after the status change. Stage and progress do not change it. */
export function versionAt(rec: JobRecord, now: number): number {
  return statusAt(rec, now) === 'pending' ? 1 : 2;
}

export function resultUrl(rec: JobRecord): string {
  return `https://media.vtrans.invalid/${rec.id}/${rec.targetLanguage ?? 'original'}.mp4`;
}

/** Turns a stored record into the job a client sees at `now`. */
export function materialize(rec: JobRecord, now: number): Job {
  const status = statusAt(rec, now);
  const pending = status === 'pending';
  const duration = rec.finishAt - rec.createdAt;
  const endedAt = rec.canceledAt ?? rec.finishAt;
  const step = pending ? stepAt(rec, now) : TERMINAL_STEP;
  let progress: number;
  if (status === 'completed') progress = 1;
  else if (pending) progress = duration <= 0 ? 0 : Math.min(0.99, (now - rec.createdAt) / duration);
  else
    progress = duration <= 0 ? 0 : Math.min(1, Math.max(0, (endedAt - rec.createdAt) / duration));
  progress = Math.max(0, Math.round(progress * 1000) / 1000);
  return {
    id: rec.id,
    status,
    progress,
    stage: pending ? (JOB_STAGES[step] ?? null) : null,
    source_url: rec.sourceUrl,
    target_language: rec.targetLanguage,
    created_at: iso(rec.createdAt),
    updated_at: iso(pending ? stepInstant(rec, step) : endedAt),
    eta: pending ? iso(rec.etaAt) : null,
    completed_at: pending ? null : iso(endedAt),
    error:
      status === 'error'
        ? {
            code: rec.errorCode ?? 'translation_failed',
            message: rec.errorMessage ?? 'Translation failed',
          }
        : null,
    result: status === 'completed' ? { video_url: resultUrl(rec) } : null,
    version: pending ? 1 : 2,
  };
}
