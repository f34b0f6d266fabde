import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { backupFileName, createBackup } from '../../../server/app/backup.js';
import { addHousehold } from '../../../server/app/provision.js';
import { createDatabaseFile } from '../../../server/store/database-file.js';
import { openDatabase, type Db } from '../../../server/store/db.js';
import { createStores, type SqliteStores } from '../../../server/store/index.js';
import { captureLogs, tempDir } from '../../helpers/system.js';

// Backups of a real, live SQLite file (WAL, with rows not yet checkpointed) into a temp dir.

function liveDatabase(): { db: Db; stores: SqliteStores } {
  const db = openDatabase(tempDir());
  onTestFinished(() => {
    db.close();
  });
  const stores = createStores(db);
  const householdId = addHousehold(
    stores,
    { compound: '阳光小区', building: '1号楼', room: '101', name: '张桂兰' },
    Date.parse('2026-03-01T00:00:00Z'),
  );
  for (let i = 0; i < 200; i++) {
    stores.events.insert({
      householdId,
      source: 'device',
      deviceId: 'rb-1',
      state: i % 3 === 0 ? 'red' : 'blue',
      seq: i,
      boot: 1,
      deviceAt: null,
      battery: 90,
      reportedBy: null,
      note: `press ${i}`,
      receivedAt: Date.parse('2026-03-01T01:00:00Z') + i * 1000,
    });
  }
  return { db, stores };
}

function openCopy(file: string): Db {
  const copy = new Database(file, { readonly: true, fileMustExist: true });
  onTestFinished(() => {
    copy.close();
  });
  return copy;
}

const tableRows = (db: Db, table: string) => db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all();

describe('backup', () => {
  it('when a backup runs, then a checked copy with the same rows is written under the UTC stamp', async () => {
    const { db } = liveDatabase();
    const dir = path.join(tempDir(), 'backups');
    const logs = captureLogs();
    const now = Date.parse('2026-03-02T19:30:05Z');

    const result = await createBackup({ database: createDatabaseFile(db), dir, keep: 7, log: logs.log }).run(now);

    const file = path.join(dir, 'ribbon-20260302-193005.db');
    expect(result.file).toBe(file);
    expect(fs.readdirSync(dir)).toEqual(['ribbon-20260302-193005.db']);
    expect(result.bytes).toBe(fs.statSync(file).size);
    expect(result.bytes).toBeGreaterThan(0);

    const copy = openCopy(file);
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    // One self-contained file: no WAL beside it to lose.
    expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(copy.pragma('user_version', { simple: true })).toBe(db.pragma('user_version', { simple: true }));
    for (const table of ['compounds', 'buildings', 'households', 'events']) {
      expect(tableRows(copy, table), table).toEqual(tableRows(db, table));
    }
    expect(tableRows(copy, 'events')).toHaveLength(200);

    const line = logs.find((l) => l.msg === 'backup written');
    expect(line).toMatchObject({ file, bytes: result.bytes, keep: 7, deleted: [] });
    expect(typeof line?.['ms']).toBe('number');
  });

  it.each([
    [Date.parse('2026-03-02T19:30:05Z'), 'ribbon-20260302-193005.db'],
    [Date.parse('2026-12-31T23:59:59.999Z'), 'ribbon-20261231-235959.db'],
    [Date.parse('2027-01-01T00:00:00Z'), 'ribbon-20270101-000000.db'],
  ])('when the time is %i, then the file is %s', (now, name) => {
    expect(backupFileName(now)).toBe(name);
  });

  it('when there are more backups than keep, then exactly the newest keep remain and other files are left alone', async () => {
    const { db } = liveDatabase();
    const dir = tempDir();
    const strangers = ['notes.txt', 'ribbon-manual.db', 'ribbon-20250101-000000.db.bak', 'ribbon-2025-01-01.db'];
    for (const name of strangers) fs.writeFileSync(path.join(dir, name), 'not a backup');
    const backup = createBackup({ database: createDatabaseFile(db), dir, keep: 3, log: captureLogs().log });

    const start = Date.parse('2026-03-01T19:30:00Z');
    const days = [0, 1, 2, 3, 4].map((d) => start + d * 86_400_000);
    const results = [];
    for (const now of days) results.push(await backup.run(now));

    const backups = fs
      .readdirSync(dir)
      .filter((n) => !strangers.includes(n))
      .sort();
    expect(backups).toEqual(['ribbon-20260303-193000.db', 'ribbon-20260304-193000.db', 'ribbon-20260305-193000.db']);
    for (const name of strangers) expect(fs.readFileSync(path.join(dir, name), 'utf8')).toBe('not a backup');
    expect(results.map((r) => r.deleted)).toEqual([
      [],
      [],
      [],
      ['ribbon-20260301-193000.db'],
      ['ribbon-20260302-193000.db'],
    ]);
  });

  it('when a run was cut off mid-copy before, then its partial file is cleared and never counted as a backup', async () => {
    const { db } = liveDatabase();
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'ribbon-20260301-193000.db.partial'), 'half a copy');
    const result = await createBackup({ database: createDatabaseFile(db), dir, keep: 1, log: captureLogs().log }).run(
      Date.parse('2026-03-02T19:30:00Z'),
    );
    expect(fs.readdirSync(dir)).toEqual(['ribbon-20260302-193000.db']);
    expect(result.deleted).toEqual([]);
  });

  it('when the backup cannot be written, then the run fails, logs it and leaves nothing behind', async () => {
    const { db } = liveDatabase();
    const parent = tempDir();
    // A file where the folder should be: mkdir fails.
    const dir = path.join(parent, 'backups');
    fs.writeFileSync(dir, 'in the way');
    await expect(
      createBackup({ database: createDatabaseFile(db), dir, keep: 7, log: captureLogs().log }).run(Date.now()),
    ).rejects.toThrow();
    expect(fs.readdirSync(parent)).toEqual(['backups']);
  });

  it('when keep is not at least 1, then creating the backup throws', () => {
    const { db } = liveDatabase();
    expect(() =>
      createBackup({ database: createDatabaseFile(db), dir: tempDir(), keep: 0, log: captureLogs().log }),
    ).toThrow(RangeError);
  });
});
