import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { isPartialBackup, latestBackup } from '../app/backup.js';
import { loadConfig } from '../config.js';
import { DB_FILE_NAME } from '../store/db.js';
import { MIGRATIONS } from '../store/migrations.js';
import { runningServerPid, SERVER_PID_FILE } from '../store/server-pid.js';
import { both, UsageError } from './usage-error.js';

/**
 * `npm run admin -- restore FILE` (README, "Backup and restore"): puts a backup (or any copy of
 * the database) in place of DATA_DIR/ribbon.db; `restore --latest` takes the newest whole backup in
 * BACKUP_DIR. A `.partial` (a backup cut off while written) is refused either way.
 *
 * 1. Refused while a server has the database open (its DATA_DIR/server.pid names a live process:
 *    store/server-pid.ts says why a pid file and not a lock).
 * 2. The file is checked before anything is touched: SQLite opens it, `PRAGMA integrity_check`
 *    is ok, its schema version is one this program knows (1 … MIGRATIONS.length; an older one is
 *    migrated when the server starts) and it has the tables of one.
 * 3. It is copied beside the database under a temporary name and fsynced; the current database
 *    (with its -wal, which may hold its last commits) is kept aside as
 *    ribbon.db.before-restore-<time>; the copy is renamed into place and the folder fsynced. A
 *    crash at any step leaves either the old database or the new one, never half of one; a
 *    stale -shm is removed (it describes the old WAL).
 */

/** Tables every database of this program has had since migration 1 (a check that it is one of ours). */
const EXPECTED_TABLES = ['compounds', 'buildings', 'households', 'devices', 'events', 'alerts', 'outbox'] as const;

type Out = { write(text: string): void };

/** What is wrong with the file as a database of this program, in both languages; null: nothing. */
export function checkRestoreFile(file: string): string | null {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) return `找不到文件 ${file} / no such file: ${file}`;
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    return `无法打开 ${file}（${(err as Error).message}） / cannot open ${file}: ${(err as Error).message}`;
  }
  try {
    const result = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
    if (result.length !== 1 || result[0] !== 'ok')
      return `文件已损坏（integrity_check：${result.slice(0, 3).join('; ')}） / the file is damaged (integrity_check: ${result.slice(0, 3).join('; ')})`;
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length)
      return `文件的数据库版本 ${version} 比本程序（${MIGRATIONS.length}）新：请用更新的版本恢复 / the file's schema version ${version} is newer than this program's (${MIGRATIONS.length}): restore it with a newer release`;
    if (version < 1)
      return `文件不是彩带之约的数据库（版本 0） / the file is not a Ribbon Pact database (schema version 0)`;
    const tables = new Set(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map(
        (t) => t.name,
      ),
    );
    const missing = EXPECTED_TABLES.filter((t) => !tables.has(t));
    if (missing.length > 0)
      return `文件缺少数据表 ${missing.join('、')} / the file lacks the tables ${missing.join(', ')}`;
    return null;
  } catch (err) {
    return `文件已损坏（${(err as Error).message}） / the file is damaged: ${(err as Error).message}`;
  } finally {
    db.close();
  }
}

function fsyncPath(p: string): void {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** `2026-12-02T20-17-18Z`: a time that sorts, and is a file name everywhere. */
function stamp(now: number): string {
  return new Date(now)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replaceAll(':', '-');
}

export async function runRestore(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  out: Out,
  now = Date.now(),
): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, latest: { type: 'boolean', default: false } },
  });
  if (positionals.length !== (values.latest ? 0 : 1))
    throw new UsageError(
      '用法：restore 备份文件，或 restore --latest',
      'usage: restore FILE (one backup file), or restore --latest',
    );
  const config = loadConfig(env);
  const { dataDir } = config;
  const latest = values.latest ? latestBackup(config.backup.dir) : null;
  if (values.latest && latest === null)
    throw new UsageError(`${config.backup.dir} 中没有备份`, `there is no backup in ${config.backup.dir}`);
  const source = path.resolve(latest ?? (positionals[0] as string));
  // A backup cut off while it was written (the server or the machine stopped mid-copy) keeps its
  // temporary name; it may even look whole, but it was never checked, synced and named.
  if (isPartialBackup(path.basename(source)))
    throw new UsageError(
      `${source} 是未写完的备份（备份中途被中断），不能用于恢复；请选 ribbon-….db`,
      `${source} is a backup cut off while it was written: it cannot be restored; pick a ribbon-….db`,
    );
  const pid = runningServerPid(dataDir);
  if (pid !== null)
    throw new UsageError(
      `服务器正在运行（进程 ${pid}）：请先停止服务器再恢复；如确已停止，请删除 ${path.join(dataDir, SERVER_PID_FILE)}`,
      `the server is running (process ${pid}): stop it before restoring; if none runs, remove ${path.join(dataDir, SERVER_PID_FILE)}`,
    );
  const problem = checkRestoreFile(source);
  if (problem !== null) throw new UsageError(problem);

  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const target = path.join(dataDir, DB_FILE_NAME);
  if (path.resolve(target) === source) throw new UsageError('不能用数据库自身恢复', 'the file is the database itself');
  const incoming = `${target}.restoring`;
  fs.rmSync(incoming, { force: true });
  fs.copyFileSync(source, incoming);
  fs.chmodSync(incoming, 0o600);
  fsyncPath(incoming);

  let aside: string | null = null;
  if (fs.existsSync(target)) {
    aside = `${target}.before-restore-${stamp(now)}`;
    // The WAL goes with its database (SQLite opens X with X-wal): the old database stays whole.
    for (const suffix of ['-wal', '-journal'])
      if (fs.existsSync(target + suffix)) fs.renameSync(target + suffix, aside + suffix);
    fs.renameSync(target, aside);
  }
  for (const suffix of ['-wal', '-shm', '-journal']) fs.rmSync(target + suffix, { force: true });
  fs.renameSync(incoming, target);
  if (process.platform !== 'win32') fsyncPath(dataDir);

  if (values.json) out.write(`${JSON.stringify({ restored: source, database: target, before: aside })}\n`);
  else {
    out.write(both(`已从 ${source} 恢复数据库 ${target}`, `restored ${target} from ${source}`));
    if (aside !== null) out.write(both(`恢复前的数据库保存为 ${aside}`, `the database before is kept as ${aside}`));
  }
  return 0;
}
