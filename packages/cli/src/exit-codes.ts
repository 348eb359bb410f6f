/** The exit codes of `vtrans`, documented in `vtrans --help`. */
export const EXIT = {
  /** The command did what was asked (for `wait`, `watch`, `create --wait`: the job completed). */
  ok: 0,
  /** The job ended `error` or `canceled`. */
  jobFailed: 1,
  /** Bad usage or configuration: unknown flag, missing argument, bad value. */
  usage: 2,
  /** The wait reached `--timeout`; the job keeps running and the wait can be resumed. */
  timeout: 3,
  /** The server answered with an error, or could not be reached. */
  api: 4,
  /** Interrupted (Ctrl-C). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit-code table as it appears at the end of `vtrans --help`. */
export const EXIT_CODES_HELP = `Exit codes:
  0    success (for wait, watch and create --wait: the job completed)
  1    the job failed or was canceled
  2    usage or configuration error (unknown flag, missing argument, bad value)
  3    the wait timed out; the job keeps running (the resume command is printed)
  4    API or network error (the server answered with an error or could not be reached)
  130  interrupted (Ctrl-C)`;

/** An expected failure: one line for stderr and the exit code to leave with. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode, options?: { cause?: unknown }) {
    super(message, options);
    this.exitCode = exitCode;
  }
}

/** The reason a command's signal is aborted with when the user presses Ctrl-C. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
  constructor(signal: string) {
    super(`interrupted (${signal})`);
  }
}
