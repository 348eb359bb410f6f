/**
 * Draws a new job's fate at creation — its outcome, real duration and failure reason — from the
 * configuration or the request's `simulate` block. Nothing about a job is random after this.
 */
import { randomBytes } from 'node:crypto';
import type { JobOutcome, JobRecord } from './job-model.js';
import type { Random } from './rng.js';

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const ID_LENGTH = 20;

const FAILURES = [
  { code: 'transcription_failed', message: 'The audio track could not be transcribed.' },
  { code: 'translation_failed', message: 'The transcript could not be translated.' },
  { code: 'voice_synthesis_failed', message: 'The translated voice could not be synthesized.' },
  { code: 'lip_sync_failed', message: 'Lip movements could not be matched to the new audio.' },
  { code: 'render_failed', message: 'The translated video could not be rendered.' },
] as const;

/** An unguessable id: `job_` and 20 base32 characters from the system's CSPRNG (never the seed). */
export function newJobId(): string {
  const bytes = randomBytes(ID_LENGTH);
  let id = 'job_';
  for (const byte of bytes) id += ID_ALPHABET[byte & 31];
  return id;
}

export interface SimulationSettings {
  translationDelayMs: number;
  translationDelayJitter: number;
  errorProbability: number;
}

export interface SimulateRequest {
  duration_ms?: number;
  outcome?: JobOutcome;
  jitter?: number;
}

export interface NewJobInput {
  tenant: string;
  sourceUrl?: string | null;
  targetLanguage?: string | null;
  callbackUrl?: string | null;
  callbackEvents?: string[] | null;
  simulate?: SimulateRequest;
}

/**
 * Draws a job. The reported `eta` is the mean duration; the real one differs by up to ± jitter.
 * A pinned `simulate.duration_ms` is exact unless `simulate.jitter` is given too.
 */
export function drawJob(
  input: NewJobInput,
  settings: SimulationSettings,
  random: Random,
  now: number,
  id: string = newJobId(),
): JobRecord {
  const pinned = input.simulate?.duration_ms;
  const meanMs = pinned ?? settings.translationDelayMs;
  const jitter =
    input.simulate?.jitter ?? (pinned === undefined ? settings.translationDelayJitter : 0);
  // Always draw the same number of values so a seeded run stays aligned whatever the request pins.
  const jitterDraw = random() * 2 - 1;
  const outcomeDraw = random();
  const failureDraw = random();
  const durationMs = Math.max(0, Math.round(meanMs * (1 + jitter * jitterDraw)));
  const outcome: JobOutcome =
    input.simulate?.outcome ?? (outcomeDraw < settings.errorProbability ? 'error' : 'completed');
  const failure = FAILURES[Math.floor(failureDraw * FAILURES.length)] ?? FAILURES[0];
  return {
    id,
    tenant: input.tenant,
    sourceUrl: input.sourceUrl ?? null,
    targetLanguage: input.targetLanguage ?? null,
    callbackUrl: input.callbackUrl ?? null,
    callbackEvents: input.callbackEvents ?? null,
    createdAt: now,
    etaAt: now + meanMs,
    finishAt: now + durationMs,
    outcome,
    errorCode: outcome === 'error' ? failure.code : null,
    errorMessage: outcome === 'error' ? failure.message : null,
    canceledAt: null,
    emittedStep: 0,
  };
}
