import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { runRosterJob } from '../app/roster/jobs.js';
import { PEOPLE_SIDE_NICE } from '../lanes/lanes.js';
import { createStores } from '../store/index.js';
import type { CheckRequest, CheckResponse } from './roster-check-pool.js';

// A roster checker's thread (started by roster-check-pool.ts): reads and checks files on its own
// read-only connection, so that the people's server goes on answering meanwhile. It is its own
// composition root: server/app/ reaches the stores only through ports.

// A background job: on a busy machine this thread yields the CPU to the safety core's and the
// people side's (on Linux a nice value set from a thread is that thread's own).
try {
  os.setPriority(Math.min(19, PEOPLE_SIDE_NICE + 5));
} catch {
  // Not allowed here (a sandbox): it runs at the normal priority.
}

const { file } = workerData as { file: string };
const db = new Database(file, { readonly: true, fileMustExist: true });
// A reader in WAL mode waits for no writer; this only covers a checkpoint's brief lock.
db.pragma('busy_timeout = 5000');
const stores = createStores(db);
const port = parentPort;
if (port === null) throw new Error('roster-check-worker.ts runs as a worker thread');

port.on('message', async (request: CheckRequest) => {
  let response: CheckResponse;
  try {
    // A file is read first (an .xlsx unzipped and parsed here, off the main thread), outside the
    // transaction; then one read transaction: every row checked against the same moment of the database.
    const outcome = await runRosterJob(stores, request, (read) => db.transaction(read).deferred());
    response = { id: request.id, outcome };
  } catch (err) {
    response = { id: request.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  port.postMessage(response);
});
