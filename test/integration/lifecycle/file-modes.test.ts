import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createBackup } from '../../../server/app/backup.js';
import { createLogger } from '../../../server/log.js';
import { createDatabaseFile } from '../../../server/store/database-file.js';
import { DB_FILE_NAME, openDatabase } from '../../../server/store/db.js';
import { freePort, startChildServer } from '../../helpers/child-server.js';
import { tempDir } from '../../helpers/system.js';

// The database, its WAL and the backups hold names and phone numbers: owner-only files and
// folders, made so by explicit modes (the safety core runs in a worker thread, which cannot set
// the umask), whatever the process's umask is (this test runner's is the usual 022).

const mode = (p: string) => fs.statSync(p).mode & 0o777;

describe('file modes', () => {
  it('when the server starts on an older data folder (0755, a 0644 database and backups), then it tightens them to 0700/0600 and says so, and the WAL is 0600', async () => {
    const root = tempDir();
    const dataDir = path.join(root, 'data');
    fs.mkdirSync(dataDir, { mode: 0o755 });
    fs.chmodSync(dataDir, 0o755);
    // A database as an older release left it (made by SQLite with the umask's 0644).
    const old = new Database(path.join(dataDir, DB_FILE_NAME));
    old.pragma('journal_mode = WAL');
    old.close();
    fs.chmodSync(path.join(dataDir, DB_FILE_NAME), 0o644);
    const backups = path.join(dataDir, 'backups');
    fs.mkdirSync(backups);
    fs.chmodSync(backups, 0o755);
    fs.writeFileSync(path.join(backups, 'ribbon-20260101-033000.db'), 'x', { mode: 0o644 });
    fs.chmodSync(path.join(backups, 'ribbon-20260101-033000.db'), 0o644);

    const server = await startChildServer({ dataDir, mqttPort: await freePort() });
    const db = path.join(dataDir, DB_FILE_NAME);
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(db)).toBe(0o600);
    expect(mode(`${db}-wal`)).toBe(0o600);
    expect(mode(`${db}-shm`)).toBe(0o600);
    expect(mode(backups)).toBe(0o700);
    expect(mode(path.join(backups, 'ribbon-20260101-033000.db'))).toBe(0o600);
    const line = server.logs.find((l) => String(l.msg).includes('data files tightened'));
    expect(line?.files).toEqual(
      expect.arrayContaining([dataDir, db, backups, path.join(backups, 'ribbon-20260101-033000.db')]),
    );
    await server.kill('SIGTERM');
  }, 60_000);

  it('when a new data folder is made and a backup is taken, then the folders are 0700 and the files 0600', async () => {
    const dataDir = path.join(tempDir(), 'fresh', 'data');
    const db = openDatabase(dataDir);
    onTestFinished(() => {
      db.close();
    });
    db.prepare("INSERT INTO compounds (name, created_at) VALUES ('阳光小区', 0)").run();
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(path.join(dataDir, DB_FILE_NAME))).toBe(0o600);
    expect(mode(path.join(dataDir, `${DB_FILE_NAME}-wal`))).toBe(0o600);
    const dir = path.join(dataDir, 'backups');
    const backup = createBackup({ database: createDatabaseFile(db), dir, keep: 3, log: createLogger('silent') });
    const { file } = await backup.run(Date.parse('2026-12-02T19:30:00Z'));
    expect(mode(dir)).toBe(0o700);
    expect(mode(file)).toBe(0o600);
  });
});
