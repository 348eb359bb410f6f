/** Maps whatever a command threw to one line for stderr and an exit code. */
import {
  type Job,
  isApiError,
  isJobCanceledError,
  isJobFailedError,
  isNetworkError,
  isWaitTimeoutError,
} from '@vtrans/client';
import { CliError, EXIT, InterruptedError, type ExitCode } from './exit-codes.js';
import { formatDuration } from './format.js';

export interface Failure {
  exitCode: ExitCode;
  /** Lines for stderr (the first is the error; more are hints). */
  lines: string[];
}

/** What a failure message may mention. */
export interface FailureContext {
  /** The command that resumes an interrupted or timed-out wait. */
  resumeCommand?: string;
  /** The wait's `--timeout` as the user wrote it (`1s`), or its default. */
  timeout?: string;
  /** The latest state the command saw (the wait itself may have seen none: its requests failed). */
  lastJob?: Job;
}

export function describeFailure(error: unknown, context: FailureContext = {}): Failure {
  const resume =
    context.resumeCommand === undefined ? [] : [`resume with: ${context.resumeCommand}`];
  if (error instanceof CliError) return { exitCode: error.exitCode, lines: [error.message] };
  if (error instanceof InterruptedError) {
    return { exitCode: EXIT.interrupted, lines: ['interrupted', ...resume] };
  }
  if (isJobFailedError(error)) {
    const detail =
      error.job.error === null ? '' : `: ${error.job.error.code} (${error.job.error.message})`;
    return { exitCode: EXIT.jobFailed, lines: [`job ${error.job.id} failed${detail}`] };
  }
  if (isJobCanceledError(error)) {
    return { exitCode: EXIT.jobFailed, lines: [`job ${error.job.id} was canceled`] };
  }
  if (isWaitTimeoutError(error)) {
    const lastJob = error.lastJob ?? context.lastJob;
    const state = lastJob?.status ?? 'unknown';
    const stage = lastJob?.stage ? ` (${lastJob.stage})` : '';
    const after = context.timeout ?? formatDuration(error.elapsedMs);
    const lastFailure =
      error.cause instanceof Error
        ? `; the last request failed: ${lowerFirst(error.cause.message)}`
        : '';
    return {
      exitCode: EXIT.timeout,
      lines: [
        `timed out after ${after}: job ${error.jobId} is still ${state}${stage} and keeps running${lastFailure}`,
        ...resume,
      ],
    };
  }
  if (isApiError(error)) {
    const code = error.code === undefined ? '' : ` ${error.code}`;
    const detail = error.problem?.detail ?? error.problem?.title ?? error.message;
    const requestId = error.requestId === undefined ? '' : ` (request id ${error.requestId})`;
    return {
      exitCode: EXIT.api,
      lines: [`server answered ${error.status}${code}: ${detail}${requestId}`],
    };
  }
  if (isNetworkError(error)) {
    // The client's message names the server and the reason (`Cannot reach http://… (ECONNREFUSED)`).
    return { exitCode: EXIT.api, lines: [lowerFirst(error.message)] };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { exitCode: EXIT.jobFailed, lines: [`unexpected error: ${message}`] };
}

/** `Cannot reach …` → `cannot reach …`, to follow `vtrans: `. */
function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** Prints a failure as `vtrans: …` lines on stderr and returns its exit code. */
export function reportFailure(
  io: { err(line: string): void; paintErr(style: 'red' | 'dim', text: string): string },
  error: unknown,
  context: FailureContext = {},
): ExitCode {
  const failure = describeFailure(error, context);
  failure.lines.forEach((line, i) =>
    io.err(i === 0 ? `vtrans: ${io.paintErr('red', line)}` : `vtrans: ${line}`),
  );
  return failure.exitCode;
}
