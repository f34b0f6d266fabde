import Database from 'better-sqlite3';
import type { DatabaseFile } from '../app/ports.js';
import type { Db } from './db.js';

/** The live database as a file: SQLite's online backup of it, and the check of a copy. */
export function createDatabaseFile(db: Db): DatabaseFile {
  return {
    async backupTo(file: string): Promise<void> {
      // better-sqlite3's backup copies in steps between the server's other work.
      await db.backup(file);
    },
    checkCopy(file: string): void {
      const copy = new Database(file, { fileMustExist: true });
      try {
        // Rollback journal, not WAL: a backup is one file, with no -wal beside it to lose.
        copy.pragma('journal_mode = DELETE');
        const result = copy.pragma('integrity_check') as Array<{ integrity_check: string }>;
        const problems = result.map((r) => r.integrity_check).filter((r) => r !== 'ok');
        if (problems.length > 0 || result.length === 0)
          throw new Error(`backup failed integrity_check: ${problems.slice(0, 5).join('; ')}`);
      } finally {
        copy.close();
      }
    },
  };
}
