/** The status filter as a predicate on records, shared by the in-process stores. */
import { statusAt, type JobRecord, type JobStatus } from '../sim/job-model.js';

export function matchesStatus(rec: JobRecord, status: JobStatus | undefined, now: number): boolean {
  return status === undefined || statusAt(rec, now) === status;
}

/** Newest first, ties broken by id, as every backend orders listings. */
export function compareNewestFirst(a: JobRecord, b: JobRecord): number {
  return b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

export function isBefore(
  rec: JobRecord,
  before: { createdAt: number; id: string } | undefined,
): boolean {
  if (!before) return true;
  return (
    rec.createdAt < before.createdAt || (rec.createdAt === before.createdAt && rec.id < before.id)
  );
}
