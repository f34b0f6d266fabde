import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runAdmin, UsageError } from '../../../server/admin/main.js';
import { createBackup } from '../../../server/app/backup.js';
import { createDatabaseFile } from '../../../server/store/database-file.js';
import { DB_FILE_NAME } from '../../../server/store/db.js';
import { MIGRATIONS } from '../../../server/store/migrations.js';
import { SERVER_PID_FILE } from '../../../server/store/server-pid.js';
import { captureLogs, startTestSystem, tempDir, type TestSystem } from '../../helpers/system.js';

// `npm run admin -- restore FILE` (issue 15, point 8): a backup taken of a running system, the
// data changed, the system stopped, the backup restored, the system started again on it. Real
// SQLite files in temp dirs; the system in this process (its pid file names this process).

async function restore(dataDir: string, file: string): Promise<string> {
  let out = '';
  const code = await runAdmin(['restore', file], { DATA_DIR: dataDir }, { write: (t) => (out += t) });
  expect(code).toBe(0);
  return out;
}

async function backupOf(s: TestSystem): Promise<string> {
  const dir = path.join(tempDir(), 'backups');
  const logs = captureLogs();
  const result = await createBackup({ database: createDatabaseFile(s.stores.db), dir, keep: 3, log: logs.log }).run(
    Date.now(),
  );
  return result.file;
}

const names = (s: TestSystem) => s.stores.places.listHouseholds().map((h) => h.name);

describe('admin restore', () => {
  it('when a backup is restored, then the system starts on it: the change after the backup is gone, the database before kept aside', async () => {
    const dataDir = tempDir();
    const first = await startTestSystem({ dataDir, scheduler: false });
    first.provision({ name: '备份前' });
    const file = await backupOf(first);
    first.provision({ name: '备份后' });
    expect(names(first)).toEqual(['备份前', '备份后']);
    await first.stop();
    expect(fs.existsSync(path.join(dataDir, SERVER_PID_FILE))).toBe(false);

    const out = await restore(dataDir, file);
    expect(out).toContain('已从');
    expect(out).toContain(' / restored ');
    const aside = fs.readdirSync(dataDir).filter((f) => /^ribbon\.db\.before-restore-[0-9TZ-]+$/.test(f));
    expect(aside).toHaveLength(1);
    expect(fs.existsSync(path.join(dataDir, `${DB_FILE_NAME}.restoring`))).toBe(false);
    expect(fs.statSync(path.join(dataDir, DB_FILE_NAME)).mode & 0o777).toBe(0o600);

    const second = await startTestSystem({ dataDir, scheduler: false });
    expect(names(second)).toEqual(['备份前']);
    // The database before, with what its WAL held, is whole beside it.
    const before = new Database(path.join(dataDir, aside[0] as string), { readonly: true });
    try {
      expect(before.prepare('SELECT name FROM households ORDER BY id').all()).toEqual([
        { name: '备份前' },
        { name: '备份后' },
      ]);
    } finally {
      before.close();
    }
  });

  it('when the server runs, then restore refuses and the database is untouched', async () => {
    const dataDir = tempDir();
    const s = await startTestSystem({ dataDir, scheduler: false });
    s.provision({ name: '运行中' });
    const file = await backupOf(s);
    s.provision({ name: '之后' });
    const refusal = restore(dataDir, file);
    await expect(refusal).rejects.toThrow(UsageError);
    await expect(refusal).rejects.toThrow(/服务器正在运行.* \/ the server is running/);
    expect(names(s)).toEqual(['运行中', '之后']);
    expect(fs.readdirSync(dataDir).some((f) => f.includes('before-restore'))).toBe(false);
  });

  it('when the file is damaged, not a database, or of a newer schema, then restore refuses it and changes nothing', async () => {
    const dataDir = tempDir();
    const s = await startTestSystem({ dataDir, scheduler: false });
    s.provision({ name: '原有' });
    const good = await backupOf(s);
    await s.stop();
    const files = tempDir();

    const garbage = path.join(files, 'garbage.db');
    fs.writeFileSync(garbage, Buffer.alloc(8192, 7));
    // A real backup with a page in the middle overwritten.
    const damaged = path.join(files, 'damaged.db');
    const bytes = fs.readFileSync(good);
    const page = 4096;
    expect(bytes.length).toBeGreaterThan(page * 4);
    bytes.fill(0xab, page * 2, page * 3);
    fs.writeFileSync(damaged, bytes);
    const newer = path.join(files, 'newer.db');
    fs.copyFileSync(good, newer);
    const db = new Database(newer);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    const empty = path.join(files, 'empty.db');
    new Database(empty).close();

    for (const [file, said] of [
      [garbage, /无法打开|已损坏/],
      [damaged, /已损坏.* \/ the file is damaged/],
      [newer, /比本程序.*新.* \/ the file's schema version \d+ is newer/],
      [empty, /不是彩带之约的数据库/],
      [path.join(files, 'missing.db'), /找不到文件/],
    ] as const) {
      const refusal = restore(dataDir, file);
      await expect(refusal, file).rejects.toThrow(UsageError);
      await expect(refusal, file).rejects.toThrow(said);
    }
    expect(fs.readdirSync(dataDir).some((f) => f.includes('before-restore') || f.endsWith('.restoring'))).toBe(false);
    const again = await startTestSystem({ dataDir, scheduler: false });
    expect(names(again)).toEqual(['原有']);
  });
});
