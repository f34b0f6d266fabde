import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { DatabaseFile } from '../app/ports.js';
import type { Db } from './db.js';

// Runs in a worker thread, as plain CommonJS (the same source with tsx or without): a connection
// of its own writes `VACUUM INTO` the copy. That reads the whole database in ONE read transaction,
// a snapshot of one moment (WAL: writers go on, the copy does not see them), off the event loop.
// SQLite's online backup API (db.backup) was not used: it copies in steps and starts again from
// the first page whenever a connection other than its own writes in between — under `npm start`
// the people side has its own connection, and a write every few ms kept a backup from ever ending.
const VACUUM_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db;
try {
  db = new Database(workerData.source, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  db.prepare('VACUUM INTO ?').run(workerData.target);
  parentPort.postMessage({ ok: true });
} catch (err) {
  parentPort.postMessage({ ok: false, message: String((err && err.message) || err) });
} finally {
  if (db) db.close();
}
`;

/** The live database as a file: a consistent copy of it, and the check of a copy. */
export function createDatabaseFile(db: Db): DatabaseFile {
  return {
    backupTo(file: string): Promise<void> {
      return new Promise((resolve, reject) => {
        const worker = new Worker(VACUUM_WORKER, {
          eval: true,
          workerData: {
            source: db.name,
            target: file,
            driver: createRequire(import.meta.url).resolve('better-sqlite3'),
          },
        });
        let answered = false;
        worker.once('message', (msg: { ok: true } | { ok: false; message: string }) => {
          answered = true;
          if (msg.ok) resolve();
          else reject(new Error(`backup copy failed: ${msg.message}`));
        });
        worker.once('error', (err) => {
          answered = true;
          reject(err);
        });
        worker.once('exit', (code) => {
          if (!answered) reject(new Error(`the backup's worker ended (code ${code}) before the copy was written`));
        });
      });
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
