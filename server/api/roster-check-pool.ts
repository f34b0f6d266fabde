import type { Worker } from 'node:worker_threads';
import { createHashPool } from '../app/hash-pool.js';
import type { User } from '../app/ports.js';
import type { CheckedFleet } from '../app/fleet/check.js';
import type { IssuedDevice } from '../app/fleet/provision.js';
import type { CheckedRoster, RosterKind } from '../app/roster/import.js';
import { type ExportedRoster, type JobOutcome, type RosterJob, runRosterJob } from '../app/roster/jobs.js';
import type { RosterProblem } from '../app/roster/format.js';
import type { Stores } from '../app/ports.js';
import { startWorker } from '../worker-thread.js';

/**
 * Roster files read and checked off the main thread (issue 12): a 20,000-row file took the event
 * loop ~0.25 s to check (0.36 s against 20,000 stored households), and four at once held a press
 * up 2.1 s. A few worker threads, each with its own read-only connection, and a short queue:
 * past it a caller is refused at once (503 with Retry-After), as logins are when hashing is busy.
 */
export type RosterChecker = {
  /** The check's outcome, or 'busy' at once when the queue is full. */
  check(request: Omit<Extract<RosterJob, { job: 'check' }>, 'job'>): Promise<CheckedRoster | RosterProblem> | 'busy';
  /** A fleet file checked (issue 16: households that get a device each), or 'busy' at once. */
  checkDevices(
    request: Omit<Extract<RosterJob, { job: 'devices' }>, 'job'>,
  ): Promise<CheckedFleet | RosterProblem> | 'busy';
  /** A fleet's sheet written as .xlsx (it holds the batch's secrets), or 'busy' at once. */
  fleetXlsx(devices: IssuedDevice[]): Promise<ExportedRoster> | 'busy';
  /** An export written as .xlsx (in the same queue: a big one takes seconds), or 'busy' at once. */
  exportXlsx(request: { user: User; kind: RosterKind }): Promise<ExportedRoster> | 'busy';
  retryAfterSec(): number;
  stats(): { running: number; queued: number; refused: number };
  close(): Promise<void>;
};

/** A job for a checker's thread; a file (CSV or .xlsx) is read there too, unzipped and parsed. */
export type CheckRequest = RosterJob & { id: number };
export type CheckResponse = { id: number; outcome: JobOutcome } | { id: number; error: string };

export const ROSTER_CHECK_DEFAULTS = { workers: 1, queueLimit: 2 } as const;

type Thread = { worker: Worker; waiting: Map<number, (r: CheckResponse) => void> };

/** Checks on `workers` threads over the database file `file` (started when first needed). */
export function createRosterCheckPool(opts: {
  file: string;
  workers?: number;
  queueLimit?: number;
  onError?: (err: Error) => void;
}): RosterChecker {
  const size = opts.workers ?? ROSTER_CHECK_DEFAULTS.workers;
  const pool = createHashPool({ concurrency: size, queueLimit: opts.queueLimit ?? ROSTER_CHECK_DEFAULTS.queueLimit });
  const idle: Thread[] = [];
  const all = new Set<Thread>();
  let nextId = 0;
  let closed = false;

  const spawn = (): Thread => {
    const worker = startWorker(import.meta.url, 'roster-check-worker', { workerData: { file: opts.file } });
    // An idle checker must not keep a process alive that forgot to close the app.
    worker.unref();
    const thread: Thread = { worker, waiting: new Map() };
    all.add(thread);
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      all.delete(thread);
      const i = idle.indexOf(thread);
      if (i >= 0) idle.splice(i, 1);
      for (const [id, answer] of thread.waiting) answer({ id, error: err.message });
      thread.waiting.clear();
      if (!closed) opts.onError?.(err);
    };
    worker.on('message', (response: CheckResponse) => {
      const answer = thread.waiting.get(response.id);
      thread.waiting.delete(response.id);
      answer?.(response);
    });
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the roster checker stopped (exit code ${code})`)));
    return thread;
  };

  const runOn = (thread: Thread, request: CheckRequest) =>
    new Promise<JobOutcome>((resolve, reject) => {
      thread.waiting.set(request.id, (response) => {
        // Back to the idle ones only if it is still alive (a failed one was dropped).
        if (all.has(thread)) idle.push(thread);
        if ('error' in response) reject(new Error(`the roster check failed: ${response.error}`));
        else resolve(response.outcome);
      });
      thread.worker.postMessage(request);
    });

  const run = (job: RosterJob): Promise<JobOutcome> | 'busy' => {
    if (closed) return Promise.reject(new Error('the roster checker is closed'));
    // The pool runs at most `size` at once, so a thread is idle whenever a task starts.
    return pool.tryRun(() => runOn(idle.pop() ?? spawn(), { ...job, id: nextId++ }));
  };

  return {
    check(request) {
      return run({ ...request, job: 'check' }) as Promise<CheckedRoster | RosterProblem> | 'busy';
    },
    exportXlsx(request) {
      return run({ ...request, job: 'export' }) as Promise<ExportedRoster> | 'busy';
    },
    fleetXlsx(devices) {
      return run({ job: 'fleet-sheet', devices }) as Promise<ExportedRoster> | 'busy';
    },
    checkDevices(request) {
      return run({ ...request, job: 'devices' }) as Promise<CheckedFleet | RosterProblem> | 'busy';
    },
    retryAfterSec: () => pool.retryAfterSec(),
    stats() {
      const s = pool.stats();
      return { running: s.running, queued: s.queued, refused: s.refused };
    },
    async close() {
      closed = true;
      await Promise.all([...all].map((t) => t.worker.terminate()));
      all.clear();
      idle.length = 0;
    },
  };
}

/** Checks on the caller's thread: for a database without a file (in memory), where no worker can open it. */
export function createInlineRosterChecker(stores: Stores): RosterChecker {
  return {
    check: (r) => runRosterJob(stores, { ...r, job: 'check' }) as Promise<CheckedRoster | RosterProblem>,
    exportXlsx: (r) => runRosterJob(stores, { ...r, job: 'export' }) as Promise<ExportedRoster>,
    fleetXlsx: (devices) => runRosterJob(stores, { job: 'fleet-sheet', devices }) as Promise<ExportedRoster>,
    checkDevices: (r) => runRosterJob(stores, { ...r, job: 'devices' }) as Promise<CheckedFleet | RosterProblem>,
    retryAfterSec: () => 1,
    stats: () => ({ running: 0, queued: 0, refused: 0 }),
    close: async () => undefined,
  };
}
