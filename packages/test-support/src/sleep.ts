/** Resolves after `ms` milliseconds of wall time (tests and benches; the client has its own, abortable). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
