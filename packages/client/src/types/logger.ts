/** Structured log fields. */
export type LogFields = Record<string, unknown>;

/**
 * Where the client reports what it does (retries, fallbacks); every level is optional, so
 * `console` fits as well as a pino or winston child logger.
 */
export interface Logger {
  debug?(message: string, fields?: LogFields): void;
  info?(message: string, fields?: LogFields): void;
  warn?(message: string, fields?: LogFields): void;
  error?(message: string, fields?: LogFields): void;
}
