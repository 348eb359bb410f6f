/**
 * One process per SQLite file. The store keeps job records in memory (see record-cache.ts), which is
 * only right while no other process writes the file, so it holds an exclusive lock on a companion
 * file (`<db>-owner`) for as long as it is open. The lock is SQLite's own (a POSIX advisory lock in
 * exclusive locking mode), so the operating system drops it when the process dies, even by
 * `kill -9`, and a restarted server takes it at once.
 */
import Database from 'better-sqlite3';

export class SqliteOwnerLock {
  readonly #db: Database.Database;

  private constructor(db: Database.Database) {
    this.#db = db;
  }

  /** Takes the lock for the database at `dbPath`, or throws a message saying who to stop. */
  static acquire(dbPath: string): SqliteOwnerLock {
    const db = new Database(`${dbPath}-owner`);
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('busy_timeout = 0');
      // An exclusive transaction takes the file lock; exclusive locking mode keeps it after COMMIT.
      db.exec('BEGIN EXCLUSIVE; COMMIT');
    } catch (err) {
      db.close();
      if ((err as { code?: unknown }).code === 'SQLITE_BUSY') {
        throw new Error(
          `${dbPath} is in use by another vtrans server; run one server per SQLite file, or share a VT_STORE=redis://… store between several`,
        );
      }
      throw err;
    }
    return new SqliteOwnerLock(db);
  }

  release(): void {
    if (this.#db.open) this.#db.close();
  }
}
