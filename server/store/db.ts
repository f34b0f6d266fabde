import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { FOREIGN_KEYS_OFF, MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

export const DB_FILE_NAME = 'ribbon.db';

/*
 * Statements run for every press are written with `+?` where a parameter is compared in a WHERE
 * (`WHERE h.id = +?`), never a bare `?`, when the statement joins tables or orders its rows.
 *
 * Why: SQLite 3.54 (better-sqlite3 13) marks a parameter as "worth a new plan when its value
 * changes" whenever its planner weighs an equality it did not use for the loop it costs (a join's
 * other order, an ORDER BY's scan); better-sqlite3 clears a statement's bindings after every run,
 * and clearing the bindings of a marked statement makes SQLite compile it again at its next run.
 * Such a statement is prepared anew at every run: 10–35 µs instead of 2–3 (bench/RESULTS.md).
 * A unary `+` makes the parameter an expression the planner does not look into, and changes
 * neither the plan nor the result (a parameter has no affinity to lose). What is run rarely may
 * keep `?`. `test/integration/store/statement-reuse.test.ts` proves both: a bare `?` join is
 * compiled at each run here, and the press path's statements once.
 */

/**
 * Opens (creating if needed) the database in `dataDir` and brings the schema up to date.
 * WAL with synchronous=FULL: a commit is fsynced before it returns, so an acknowledged press
 * survives kill -9 and a power cut (better-sqlite3's WAL default, NORMAL, survives only the first).
 */
export function openDatabase(dataDir: string, fileName = DB_FILE_NAME): Db {
  secureDataFiles(dataDir, fileName);
  const db = new Database(path.join(dataDir, fileName));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

/**
 * The database holds names and phone numbers: its folder is made 0700 and the file, its -wal
 * and -shm 0600 — by explicit modes, not the umask (which a worker thread, where the safety
 * core runs, cannot set). The file is made before SQLite opens it, because SQLite gives the
 * -wal and -shm it creates the database file's mode. Files from before are tightened; the
 * paths tightened are returned (the server logs them at start).
 */
export function secureDataFiles(dataDir: string, fileName = DB_FILE_NAME): string[] {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, fileName);
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  return [[dataDir, 0o700], ...['', '-wal', '-shm', '-journal'].map((suffix) => [file + suffix, 0o600] as const)]
    .filter(([p, mode]) => tightenMode(p as string, mode as number))
    .map(([p]) => p as string);
}

/** Takes away what `mode` does not allow (group and others' bits); false when nothing was to take or no such file. */
export function tightenMode(p: string, mode: number): boolean {
  let current: number;
  try {
    current = fs.statSync(p).mode & 0o777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  if ((current & ~mode) === 0) return false;
  fs.chmodSync(p, current & mode);
  return true;
}

export function migrate(db: Db): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `database schema version ${current} is newer than this program knows (${MIGRATIONS.length}): refusing to run an older release on it`,
    );
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    const sql = MIGRATIONS[version] as string;
    // A table copied and renamed (a changed CHECK) would trip the references to it midway:
    // SQLite's own procedure turns foreign keys off around the transaction and checks after.
    const keysOff = FOREIGN_KEYS_OFF.has(version + 1);
    const keysWere = db.pragma('foreign_keys', { simple: true }) as number;
    if (keysOff) db.pragma('foreign_keys = OFF');
    try {
      db.transaction(() => {
        db.exec(sql);
        if (keysOff) {
          const broken = db.pragma('foreign_key_check') as unknown[];
          if (broken.length > 0) throw new Error(`migration ${version + 1} broke ${broken.length} foreign key(s)`);
        }
        db.pragma(`user_version = ${version + 1}`);
      })();
    } finally {
      if (keysOff) db.pragma(`foreign_keys = ${keysWere === 1 ? 'ON' : 'OFF'}`);
    }
  }
  return MIGRATIONS.length;
}

/**
 * WAL pages (frames) after which a commit on the main connection checkpoints by itself: SQLite's
 * auto-checkpoint, kept as the bound on the WAL: under steady load the writer never finds every
 * frame copied back, so it never rewinds the WAL, and this checkpoint (cheap: the worker has
 * copied nearly all of it) is what rewinds it, every ~4 s at 1,000 presses/s; it also bounds the
 * WAL should the worker stop (at 4 KiB pages, ~16 MiB). SQLite's default, 1,000 pages, made every ~200th group
 * commit at 1,000 presses/s copy the WAL into the database file and fsync it before its PUBACK.
 */
export const WAL_BACKSTOP_PAGES = 4_000;
/** How often the background checkpointer copies the WAL back (PASSIVE: never waits for a writer). */
export const WAL_CHECKPOINT_INTERVAL_MS = 100;
/** A WAL that grew (a burst, a long reader) is cut back to this size when it restarts. */
export const WAL_SIZE_LIMIT_BYTES = 20 * 1024 * 1024;

export type CheckpointResult = { busy: number; log: number; checkpointed: number; ms: number };

export type WalCheckpointer = {
  /** Resolves with the next checkpoint's result (for tests and shutdown). */
  checkpointNow(): Promise<CheckpointResult>;
  /** Stops the worker and closes its connection; the main connection's close then checkpoints all. */
  stop(): Promise<void>;
};

// Runs in a worker thread, as plain CommonJS (the same source with tsx or without): its own
// connection checkpoints the WAL PASSIVE on a timer. A checkpoint from another connection does not
// block the writer (it appends while frames are copied), so the copy and the database file's
// fsync leave the event loop and the committing transaction. Durability is SQLite's: only
// committed frames are copied, the WAL is synced before and the database after
// (synchronous=FULL), and the writer restarts the WAL only once every frame is in the database.
const CHECKPOINT_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = FULL');
db.pragma('wal_autocheckpoint = 0');
db.pragma('busy_timeout = 0');
function checkpoint() {
  const started = performance.now();
  try {
    const row = db.pragma('wal_checkpoint(PASSIVE)')[0];
    return { busy: row.busy, log: row.log, checkpointed: row.checkpointed, ms: performance.now() - started };
  } catch (err) {
    return { error: String(err && err.message || err) };
  }
}
let timer = null;
const tick = () => {
  const startedAt = Date.now();
  const result = checkpoint();
  if (result.error !== undefined) parentPort.postMessage({ type: 'error', message: result.error });
  else if (workerData.reportTicks) parentPort.postMessage({ type: 'tick', result, startedAt });
  timer = setTimeout(tick, workerData.intervalMs);
};
timer = setTimeout(tick, workerData.intervalMs);
parentPort.on('message', (msg) => {
  if (msg.type === 'now') parentPort.postMessage({ type: 'result', id: msg.id, result: checkpoint() });
  if (msg.type === 'stop') {
    clearTimeout(timer);
    db.close();
    parentPort.close();
  }
});
`;

/**
 * Moves WAL checkpoints off the commit path: a worker thread with its own connection checkpoints
 * every `intervalMs`, and the main connection's auto-checkpoint is raised to `backstopPages`, so
 * the WAL stays bounded even if the worker dies. Call before the first commit of the ingest path.
 */
export function startWalCheckpointer(
  db: Db,
  opts: {
    intervalMs?: number;
    backstopPages?: number;
    onError?: (err: Error) => void;
    /**
     * Each checkpoint the timer made, with the wall-clock ms it started at (tests wait for one that
     * began after their writes instead of sleeping: ticks made during a synchronous burst of commits
     * are delivered only after it).
     */
    onTick?: (result: CheckpointResult, startedAt: number) => void;
  } = {},
): WalCheckpointer {
  if (db.memory) throw new Error('an in-memory database has no WAL to checkpoint');
  db.pragma(`wal_autocheckpoint = ${opts.backstopPages ?? WAL_BACKSTOP_PAGES}`);
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  const worker = new Worker(CHECKPOINT_WORKER, {
    eval: true,
    workerData: {
      file: db.name,
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      intervalMs: opts.intervalMs ?? WAL_CHECKPOINT_INTERVAL_MS,
      reportTicks: opts.onTick !== undefined,
    },
  });
  // The worker must not keep a process alive that forgot to stop it; the backstop still bounds the WAL.
  worker.unref();
  const waiting = new Map<number, { resolve: (r: CheckpointResult) => void; reject: (err: Error) => void }>();
  let nextId = 0;
  let exited = false;
  const fail = (err: Error) => {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  worker.on(
    'message',
    (
      msg:
        | { type: 'result'; id: number; result: CheckpointResult | { error: string } }
        | { type: 'error'; message: string }
        | { type: 'tick'; result: CheckpointResult; startedAt: number },
    ) => {
      if (msg.type === 'tick') {
        opts.onTick?.(msg.result, msg.startedAt);
        return;
      }
      if (msg.type === 'error') {
        opts.onError?.(new Error(`WAL checkpoint failed: ${msg.message}`));
        return;
      }
      const w = waiting.get(msg.id);
      waiting.delete(msg.id);
      if ('error' in msg.result) w?.reject(new Error(`WAL checkpoint failed: ${msg.result.error}`));
      else w?.resolve(msg.result);
    },
  );
  worker.on('error', (err) => {
    opts.onError?.(err);
    fail(err);
  });
  worker.on('exit', () => {
    exited = true;
    fail(new Error('the WAL checkpointer has stopped'));
  });
  return {
    checkpointNow() {
      if (exited) return Promise.reject(new Error('the WAL checkpointer has stopped'));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.ref();
        worker.postMessage({ type: 'now', id });
      }).finally(() => {
        if (waiting.size === 0) worker.unref();
      }) as Promise<CheckpointResult>;
    },
    async stop() {
      if (exited) return;
      const gone = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      // Held while it stops: an unref'd worker is all that may be left (a start that failed to
      // listen), and the process would end with code 0 before `gone`, with the caller's promise unsettled.
      worker.ref();
      worker.postMessage({ type: 'stop' });
      await gone;
    },
  };
}

/**
 * Commits whose fsync leaves the event loop (red to screen, issue 6). With synchronous=FULL a
 * WAL commit fsyncs the WAL inside COMMIT, on the event loop: 0.2–4 ms here, during which no
 * press is read, no receipt sent, no dashboard written to. `transaction` commits with
 * synchronous=NORMAL instead (the frames are written to the WAL, not synced) and `sync` then
 * fdatasyncs the WAL file on a thread of its own; the caller acknowledges nothing before `sync`
 * calls back (server/ingest/group-commit.ts). Durability is the same as FULL's for everything
 * acknowledged: FULL's only extra step in WAL mode is that sync of the WAL after each commit,
 * SQLite's frame checksums make recovery keep exactly the prefix of whole commits on disk, and a
 * sync covers every frame written before it (fsync is per file, not per descriptor). What is not
 * the same: another connection, or a request on this one, can read a commit before its sync (a
 * power cut then loses it, and its device, which got no PUBACK, sends it again). Every other
 * transaction on this connection still runs with FULL. The argument assumes SQLite's default
 * powersafe overwrite (SQLITE_POWERSAFE_OVERWRITE=1, which better-sqlite3 does not change): without it,
 * FULL pads each commit to a sector boundary and NORMAL does not. A failed sync is final (see
 * group-commit.ts onSyncFailure). The syncs run on threads of their own (SYNC_WORKER), not on
 * libuv's shared pool.
 */
export type WalSync = {
  /** How many syncs may run at once (each has its own descriptor). */
  readonly concurrency: number;
  /** Runs fn in one BEGIN IMMEDIATE transaction whose commit does not fsync; call `sync` after. */
  transaction<T>(fn: () => T): T;
  /** fdatasync of the WAL file on a sync thread: everything committed before this call is on disk when done(null) runs. */
  sync(done: (err: Error | null) => void): void;
  close(): void;
};

/** Concurrent WAL syncs (each through its own descriptor, on its own thread). */
export const WAL_SYNC_SLOTS = 3;

// A WAL sync's own thread (plain CommonJS, eval'd): fdatasync of the descriptor it is sent, then
// the answer. Not libuv's thread pool, which the process shares with everything else — password
// hashing, file reads, the outbox's DNS lookups (getaddrinfo): four slow lookups there would hold
// every PUBACK (issue 12, "its own I/O for the sync").
const SYNC_WORKER = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
parentPort.on('message', (fd) => {
  try {
    fs.fdatasyncSync(fd);
    parentPort.postMessage(null);
  } catch (err) {
    parentPort.postMessage({ message: String((err && err.message) || err), code: err && err.code });
  }
});
`;

type Syncer = { sync(fd: number, done: (err: Error | null) => void): void; stop(): void };

/** One sync thread; one sync at a time (the caller's slot sees to that). */
function startSyncer(): Syncer {
  const worker = new Worker(SYNC_WORKER, { eval: true });
  // Idle, it must not keep a process alive; a sync in flight is waited for by the group commit.
  worker.unref();
  let pending: ((err: Error | null) => void) | null = null;
  const answer = (err: Error | null) => {
    const done = pending;
    pending = null;
    done?.(err);
  };
  worker.on('message', (result: { message: string; code?: string } | null) => {
    answer(result === null ? null : Object.assign(new Error(result.message), result.code ? { code: result.code } : {}));
  });
  worker.on('error', (err) => answer(err));
  worker.on('exit', () => answer(new Error('the WAL sync thread has stopped')));
  return {
    sync(fd, done) {
      pending = done;
      worker.postMessage(fd);
    },
    stop() {
      void worker.terminate();
    },
  };
}

export function createWalSync(db: Db): WalSync {
  if (db.memory) throw new Error('an in-memory database has no WAL to sync');
  const walFile = `${db.name}-wal`;
  // Not prepared once: SQLite applies this pragma when the statement is compiled, not when run.
  const unsynced = () => db.exec('PRAGMA synchronous = NORMAL');
  const synced = () => db.exec('PRAGMA synchronous = FULL');
  // One descriptor per concurrent sync: Linux reports a write-back error once per open file
  // description, so two fsyncs racing through one descriptor could leave one of them unaware.
  type Slot = { fd: number | null; inode: number; busy: boolean; syncer: Syncer };
  const slots: Slot[] = Array.from({ length: WAL_SYNC_SLOTS }, () => ({
    fd: null,
    inode: -1,
    busy: false,
    syncer: startSyncer(),
  }));
  /** The slot's descriptor of the WAL, reopened if the file was replaced (SQLite deletes it when the last connection closes). */
  function walFd(slot: Slot): number {
    const { ino } = fs.statSync(walFile);
    if (slot.fd === null || ino !== slot.inode) {
      if (slot.fd !== null) fs.closeSync(slot.fd);
      slot.fd = null;
      slot.fd = fs.openSync(walFile, 'r');
      slot.inode = ino;
    }
    return slot.fd;
  }
  const waiting: Array<(err: Error | null) => void> = [];
  function start(slot: Slot, done: (err: Error | null) => void): void {
    let target: number;
    try {
      target = walFd(slot);
    } catch (err) {
      queueMicrotask(() => done(err as Error));
      return;
    }
    slot.busy = true;
    slot.syncer.sync(target, (err) => {
      slot.busy = false;
      const next = waiting.shift();
      if (next) start(slot, next);
      done(err);
    });
  }
  return {
    concurrency: WAL_SYNC_SLOTS,
    transaction(fn) {
      unsynced();
      try {
        return db.transaction(fn).immediate();
      } finally {
        // A COMMIT and ROLLBACK that both failed leave a transaction open, where the level cannot change.
        if (db.inTransaction) {
          try {
            db.exec('ROLLBACK');
          } catch {
            // The error that got us here is the one to report.
          }
        }
        synced();
      }
    },
    sync(done) {
      const slot = slots.find((s) => !s.busy);
      // The group commit asks for at most `concurrency` at once; should more come, they wait for a slot.
      if (slot === undefined) waiting.push(done);
      else start(slot, done);
    },
    close() {
      for (const slot of slots) {
        if (slot.fd !== null && !slot.busy) fs.closeSync(slot.fd);
        slot.fd = null;
        slot.syncer.stop();
      }
    },
  };
}
