/** Maps whatever a command threw to one line for stderr and an exit code. */
import {
  isApiError,
  isJobCanceledError,
  isJobFailedError,
  isNetworkError,
  isWaitTimeoutError,
} from '@vtrans/client';
import { CliError, EXIT, InterruptedError, type ExitCode } from './exit-codes.js';

export interface Failure {
  exitCode: ExitCode;
  /** Lines for stderr (the first is the error; more are hints). */
  lines: string[];
}

/** What a failure message may mention. */
export interface FailureContext {
  /** The server's URL, for network errors. */
  url?: string;
  /** The command that resumes an interrupted or timed-out wait. */
  resumeCommand?: string;
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
    const state = error.lastJob?.status ?? 'unknown';
    const stage = error.lastJob?.stage ? ` (${error.lastJob.stage})` : '';
    return {
      exitCode: EXIT.timeout,
      lines: [
        `timed out after ${error.elapsedMs} ms: job ${error.jobId} is still ${state}${stage} and keeps running`,
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
    const where = context.url === undefined ? 'the server' : context.url;
    const cause = causeMessage(error.cause);
    return {
      exitCode: EXIT.api,
      lines: [`cannot reach ${where}: ${error.message}${cause === undefined ? '' : ` (${cause})`}`],
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { exitCode: EXIT.jobFailed, lines: [`unexpected error: ${message}`] };
}

/** The innermost useful message of a `cause` chain (`ECONNREFUSED 127.0.0.1:1`, …). */
function causeMessage(cause: unknown): string | undefined {
  let current = cause;
  let message: string | undefined;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    message =
      typeof code === 'string' && !current.message.includes(code)
        ? `${code} ${current.message}`
        : current.message;
    current = current.cause;
  }
  return message;
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
