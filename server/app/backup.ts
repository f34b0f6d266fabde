import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { DatabaseFile } from './ports.js';

/** A finished backup's name: ribbon-YYYYMMDD-HHMMSS.db (UTC), so names sort by time. */
export const BACKUP_FILE = /^ribbon-\d{8}-\d{6}\.db$/;
/** A backup being written; never matches BACKUP_FILE, so retention never counts or keeps it. */
const PARTIAL_SUFFIX = '.partial';
const PARTIAL_FILE = /^ribbon-\d{8}-\d{6}\.db\.partial(-wal|-shm|-journal)?$/;

/** Whether `name` is a backup cut off while it was written (or its journal): never one to restore. */
export function isPartialBackup(name: string): boolean {
  return PARTIAL_FILE.test(name);
}

/** The newest whole backup in `dir` (names sort by time), or null; a `.partial` is never one. */
export function latestBackup(dir: string): string | null {
  if (!fs.existsSync(dir)) return null;
  const newest = fs
    .readdirSync(dir)
    .filter((name) => BACKUP_FILE.test(name))
    .sort()
    .at(-1);
  return newest === undefined ? null : path.join(dir, newest);
}

export type BackupResult = { file: string; bytes: number; ms: number; deleted: string[] };

/** `ribbon-YYYYMMDD-HHMMSS.db` for instant `now`, in UTC. */
export function backupFileName(now: number): string {
  const iso = new Date(now).toISOString(); // 2026-03-02T03:30:00.000Z
  return `ribbon-${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}.db`;
}

/**
 * A copy of the live database in `dir`, taken while the server keeps writing (a snapshot of one
 * moment, `VACUUM INTO` on a connection of its own in a worker thread, behind the DatabaseFile
 * port: store/database-file.ts says why not the online backup API). The copy is written under a temporary name, made a
 * single self-contained file (rollback journal, not WAL), checked (it opens and
 * `PRAGMA integrity_check` is ok), fsynced, and only then renamed to its final name: a file with
 * the final name is always a whole, checked backup. Then the oldest backups beyond `keep` are
 * deleted; files that are not ours are never touched.
 */
export function createBackup(deps: { database: DatabaseFile; dir: string; keep: number; log: Logger }) {
  const { database, dir, keep, log } = deps;
  if (!Number.isInteger(keep) || keep < 1)
    throw new RangeError(`keep must be a whole number of at least 1, not ${keep}`);

  function removeQuietly(file: string): void {
    fs.rmSync(file, { force: true });
  }

  function fsyncPath(p: string): void {
    const fd = fs.openSync(p, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Deletes the oldest backups beyond `keep` (by name, which is by time). */
  function prune(): string[] {
    const backups = fs
      .readdirSync(dir)
      .filter((name) => BACKUP_FILE.test(name))
      .sort();
    const old = backups.slice(0, Math.max(0, backups.length - keep));
    for (const name of old) removeQuietly(path.join(dir, name));
    return old;
  }

  return {
    async run(now: number): Promise<BackupResult> {
      const started = performance.now();
      // Backups hold what the database holds: 0700 folder, 0600 files (docs/privacy.md).
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      // Left by a run that crashed mid-copy: never a backup, only in the way.
      for (const name of fs.readdirSync(dir)) if (PARTIAL_FILE.test(name)) removeQuietly(path.join(dir, name));

      const name = backupFileName(now);
      const file = path.join(dir, name);
      const partial = file + PARTIAL_SUFFIX;
      try {
        // Made 0600 before SQLite writes into it (its journal takes the file's mode).
        fs.writeFileSync(partial, '', { mode: 0o600 });
        await database.backupTo(partial);
        await database.checkCopy(partial);
        fsyncPath(partial);
        fs.renameSync(partial, file);
      } catch (err) {
        for (const suffix of ['', '-wal', '-shm', '-journal']) removeQuietly(partial + suffix);
        log.error({ err, file }, 'backup failed');
        throw err;
      }
      // The rename itself survives a power cut only once the directory is synced (not on Windows).
      if (process.platform !== 'win32') fsyncPath(dir);
      const deleted = prune();
      const bytes = fs.statSync(file).size;
      const ms = Math.round(performance.now() - started);
      log.info({ file, bytes, ms, deleted, keep }, 'backup written');
      return { file, bytes, ms, deleted };
    },
  };
}

/**
 * At start: the backup folder made 0700 and the backups in it 0600, whatever an older release
 * left (0755 and 0644); the paths tightened are returned for the start's log line.
 */
export function tightenBackups(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const tightened: string[] = [];
  const tighten = (p: string, mode: number) => {
    const current = fs.statSync(p).mode & 0o777;
    if ((current & ~mode) === 0) return;
    fs.chmodSync(p, current & mode);
    tightened.push(p);
  };
  tighten(dir, 0o700);
  for (const name of fs.readdirSync(dir)) if (BACKUP_FILE.test(name)) tighten(path.join(dir, name), 0o600);
  return tightened;
}

export type BackupMaker = ReturnType<typeof createBackup>;
