/**
 * Where the CLI writes: results on stdout, progress and diagnostics on stderr. Colour only on a
 * terminal, and never when `NO_COLOR` is set (https://no-color.org) or `TERM=dumb`.
 */

/** A stream the CLI writes to (a `process.stdout`-like object). */
export interface OutputStream {
  write(chunk: string): boolean;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** The styles the CLI uses, deliberately few. */
export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan';

/** The process's environment and streams as the commands see them. */
export interface Io {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  /** Writes one line of result to stdout. */
  out(line: string): void;
  /** Writes one line of diagnostics to stderr. */
  err(line: string): void;
  /** Whether stderr is a terminal (progress bars instead of plain lines). */
  readonly isErrTty: boolean;
  /** Styles text for stdout when colour is allowed there. */
  paintOut(style: Style, text: string): string;
  /** Styles text for stderr when colour is allowed there. */
  paintErr(style: Style, text: string): string;
}

/**
 * SGR codes (open, close). Written out rather than `util.styleText`, whose own checks look at
 * `process.stdout` and differ across Node 20 minors; the decision here is per stream.
 */
const SGR: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};

function paint(style: Style, text: string): string {
  const [open, close] = SGR[style];
  return `\x1b[${open}m${text}\x1b[${close}m`;
}

function isColorAllowed(stream: OutputStream, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

/** The real process's streams and environment. */
export function createIo(
  stdout: OutputStream = process.stdout,
  stderr: OutputStream = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
): Io {
  const colorOut = isColorAllowed(stdout, env);
  const colorErr = isColorAllowed(stderr, env);
  return {
    env,
    stdout,
    stderr,
    out: (line) => void stdout.write(`${line}\n`),
    err: (line) => void stderr.write(`${line}\n`),
    isErrTty: stderr.isTTY === true,
    paintOut: (style, text) => (colorOut ? paint(style, text) : text),
    paintErr: (style, text) => (colorErr ? paint(style, text) : text),
  };
}
