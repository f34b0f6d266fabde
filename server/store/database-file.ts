import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { DatabaseFile } from '../app/ports.js';
import type { Db } from './db.js';

// Runs in a worker thread, as plain CommonJS (the same source with tsx or without), with a
// connection of its own, so neither the copy nor its check holds the core's event loop (and the
// PUBACKs waiting on it): a check of a 1 GB copy takes seconds.
// - copy: `VACUUM INTO` the copy. It reads the whole database in ONE read transaction, a snapshot
//   of one moment (WAL: writers go on, the copy does not see them). SQLite's online backup API
//   (db.backup) was not used: it copies in steps and starts again from the first page whenever a
//   connection other than its own writes in between; under `npm start` the people side has its
//   own, and a write every few ms kept a backup from ever ending.
// - check: the copy made a rollback-journal database (one file, no -wal beside it to lose) and
//   `PRAGMA integrity_check` ok.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db;
try {
  if (workerData.task === 'copy') {
    db = new Database(workerData.source, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    db.prepare('VACUUM INTO ?').run(workerData.target);
  } else {
    db = new Database(workerData.target, { fileMustExist: true });
    db.pragma('journal_mode = DELETE');
    const result = db.pragma('integrity_check').map((r) => r.integrity_check);
    const problems = result.filter((r) => r !== 'ok');
    if (problems.length > 0 || result.length === 0)
      throw new Error('backup failed integrity_check: ' + problems.slice(0, 5).join('; '));
  }
  parentPort.postMessage({ ok: true });
} catch (err) {
  parentPort.postMessage({ ok: false, message: String((err && err.message) || err) });
} finally {
  if (db) db.close();
}
`;

function inWorker(data: { task: 'copy' | 'check'; source: string; target: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: { ...data, driver: createRequire(import.meta.url).resolve('better-sqlite3') },
    });
    let answered = false;
    worker.once('message', (msg: { ok: true } | { ok: false; message: string }) => {
      answered = true;
      if (msg.ok) resolve();
      else reject(new Error(data.task === 'copy' ? `backup copy failed: ${msg.message}` : msg.message));
    });
    worker.once('error', (err) => {
      answered = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!answered) reject(new Error(`the backup's worker ended (code ${code}) before it answered`));
    });
  });
}

/** The live database as a file: a consistent copy of it, and the check of a copy. */
export function createDatabaseFile(db: Db): DatabaseFile {
  return {
    backupTo: (file) => inWorker({ task: 'copy', source: db.name, target: file }),
    checkCopy: (file) => inWorker({ task: 'check', source: db.name, target: file }),
  };
}
