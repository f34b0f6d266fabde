import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { connectDevice, type SimDevice } from '../../../device-sim/device.js';
import { BACKUP_FILE, backupFileName, createBackup } from '../../../server/app/backup.js';
import { addHousehold } from '../../../server/app/provision.js';
import { runRestore } from '../../../server/admin/restore.js';
import { createDatabaseFile } from '../../../server/store/database-file.js';
import { DB_FILE_NAME, openDatabase } from '../../../server/store/db.js';
import { createStores } from '../../../server/store/index.js';
import { captureLogs, migratedDataDir, startTestSystem, tempDir } from '../../helpers/system.js';
import { waitUntil, withDeadline } from '../../helpers/tools.js';

// Issue 17, point 5: a backup taken while presses arrive over real MQTT is a consistent database,
// and a kill -9 in the middle of one leaves nothing a restore would take for a backup.

const ROOT_DIR = path.resolve(import.meta.dirname, '../../..');
const CHILD = path.join(ROOT_DIR, 'test/helpers/backup-child.ts');

/** Old events of one household, ~`mb` MiB of them, so that a backup takes many steps. */
function bulkRows(db: Database.Database, mb: number): void {
  const householdId = addHousehold(
    createStores(db),
    { compound: '旧小区', building: '9号楼', room: '901', name: '旧记录' },
    Date.parse('2025-01-01T00:00:00Z'),
  );
  const rows = Math.round((mb * 1024 * 1024) / 1100);
  // A seed, not the server's data: no need to wait for the disk.
  db.pragma('synchronous = OFF');
  db.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     INSERT INTO events (household_id, source, device_id, state, seq, boot, note, received_at)
     SELECT ?, 'person', NULL, 'blue', NULL, NULL, hex(randomblob(500)), ? + i FROM n`,
  ).run(rows, householdId, Date.parse('2025-01-01T00:00:00Z'));
}

/** What a copy holds of each device's presses: its seqs, in order. */
function seqsByDevice(db: Database.Database): Map<string, number[]> {
  const rows = db
    .prepare("SELECT device_id AS id, seq FROM events WHERE source = 'device' ORDER BY device_id, seq")
    .all() as Array<{ id: string; seq: number }>;
  const out = new Map<string, number[]>();
  for (const r of rows) out.set(r.id, [...(out.get(r.id) ?? []), r.seq]);
  return out;
}

/**
 * The copy is one moment of the database, never half a batch: each device's presses are 1 … n
 * with no gap (a device presses only after its last PUBACK), and each household's ribbon and
 * check-in time are those of its latest press (written in the same transaction as the press).
 */
function expectConsistent(copy: Database.Database): Map<string, number[]> {
  expect(copy.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
  const seqs = seqsByDevice(copy);
  for (const [id, list] of seqs) expect({ id, list }).toEqual({ id, list: list.map((_, i) => i + 1) });
  const mismatched = copy
    .prepare(
      `SELECT h.id, h.state, h.last_checkin_at AS at, e.state AS eventState, e.received_at AS eventAt
         FROM households h
         JOIN events e ON e.id = (SELECT id FROM events WHERE household_id = h.id AND source = 'device'
                                   ORDER BY received_at DESC, id DESC LIMIT 1)
        WHERE h.state IS NOT e.state OR h.last_checkin_at IS NOT e.received_at`,
    )
    .all();
  expect(mismatched).toEqual([]);
  return seqs;
}

describe('backup under load', () => {
  it('when devices press over MQTT while a backup runs, then they keep getting PUBACKs, and the backup opens, is intact, holds every press acknowledged before it began and no half batch', async () => {
    const dataDir = migratedDataDir();
    const seed = openDatabase(dataDir);
    bulkRows(seed, 40);
    seed.close();
    const system = await startTestSystem({ dataDir, scheduler: false });
    const sims: SimDevice[] = [];
    for (let i = 0; i < 12; i++) {
      const d = system.provision({ room: `${200 + i}` });
      sims.push(await connectDevice({ url: system.mqttUrl, id: d.id, secret: d.secret }));
    }
    onTestFinished(async () => {
      await Promise.all(sims.map((s) => s.close()));
    });

    // Each device presses back to back until the backup is written, then 5 more.
    let backupDone = false;
    let acksDuringBackup = 0;
    let backupRunning = false;
    const ackedBefore = new Map<string, number>();
    const loops = sims.map(async (sim, i) => {
      let after = 0;
      while (after < 5) {
        await sim.press(i % 4 === 0 && sim.seq % 7 === 0 ? 'yellow' : 'blue');
        if (backupRunning) acksDuringBackup += 1;
        if (backupDone) after += 1;
      }
    });
    await waitUntil(() => sims.every((s) => s.acked.length >= 3), 'every device has presses acknowledged');

    const dir = path.join(tempDir(), 'backups');
    const backup = createBackup({
      database: createDatabaseFile(system.stores.db),
      dir,
      keep: 7,
      log: captureLogs().log,
    });
    for (const sim of sims) ackedBefore.set(sim.id, sim.acked.length);
    backupRunning = true;
    const started = performance.now();
    const result = await backup.run(Date.now());
    const ms = performance.now() - started;
    backupRunning = false;
    backupDone = true;
    await Promise.all(loops);

    // It took long enough for presses to come in meanwhile, and they were acknowledged meanwhile.
    expect(result.bytes).toBeGreaterThan(40 * 1024 * 1024);
    expect({ ms: ms > 50, acksDuringBackup: acksDuringBackup > sims.length }).toEqual({
      ms: true,
      acksDuringBackup: true,
    });
    expect(path.basename(result.file)).toMatch(BACKUP_FILE);
    expect(fs.readdirSync(dir)).toEqual([path.basename(result.file)]);

    const copy = new Database(result.file, { readonly: true, fileMustExist: true });
    onTestFinished(() => {
      copy.close();
    });
    expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
    const seqs = expectConsistent(copy);
    for (const sim of sims) {
      const inCopy = seqs.get(sim.id)?.length ?? 0;
      // Every press acknowledged before the backup began is in it; none it has was never sent.
      expect({ id: sim.id, enough: inCopy >= (ackedBefore.get(sim.id) ?? 0), sent: inCopy <= sim.seq }).toEqual({
        id: sim.id,
        enough: true,
        sent: true,
      });
    }
    // The live database has them all, the ones after the backup too.
    await waitUntil(
      () => sims.every((s) => system.stores.events.listForDevice(s.id).length === s.seq),
      'every press stored in the live database',
    );
  }, 60_000);

  it("when another connection writes all through the backup (the people side's, under npm start), then the backup still finishes, promptly, and holds what was written before it began", async () => {
    const dataDir = migratedDataDir();
    const db = openDatabase(dataDir);
    onTestFinished(() => {
      if (db.open) db.close();
    });
    bulkRows(db, 40);
    // The people lane has a connection of its own (a session, an audit line, a person's report).
    const other = new Database(path.join(dataDir, DB_FILE_NAME));
    onTestFinished(() => {
      other.close();
    });
    other.pragma('busy_timeout = 5000');
    other.exec('CREATE TABLE other_writes (at INTEGER NOT NULL)');
    const insert = other.prepare('INSERT INTO other_writes (at) VALUES (?)');
    insert.run(Date.now());
    let writes = 0;
    const writer = setInterval(() => {
      insert.run(Date.now());
      writes += 1;
    }, 5);
    onTestFinished(() => clearInterval(writer));

    const dir = path.join(tempDir(), 'backups');
    const started = performance.now();
    const result = await withDeadline(
      createBackup({ database: createDatabaseFile(db), dir, keep: 7, log: captureLogs().log }).run(Date.now()),
      15_000,
      'the backup',
    );
    clearInterval(writer);
    // SQLite's online backup API starts again from the first page whenever another connection
    // writes: with a write every few ms it never finished (40 MiB: 174 ms alone, 13 s with a
    // write every 50 ms, not at all with one every 5 ms).
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(writes).toBeGreaterThan(0);
    const copy = new Database(result.file, { readonly: true, fileMustExist: true });
    try {
      expect(copy.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
      expect((copy.prepare('SELECT count(*) AS n FROM other_writes').get() as { n: number }).n).toBeGreaterThanOrEqual(
        1,
      );
      expect(copy.pragma('user_version', { simple: true })).toBe(db.pragma('user_version', { simple: true }));
    } finally {
      copy.close();
    }
  }, 60_000);

  it("when the process is killed -9 in the middle of a backup, then no file has a backup's name, restore --latest takes the newest whole backup and refuses the partial, and the next backup clears it", async () => {
    const dataDir = migratedDataDir();
    const dir = path.join(tempDir(), 'backups');
    const db = openDatabase(dataDir);
    bulkRows(db, 40);
    const stores = createStores(db);
    const at = (iso: string) => Date.parse(iso);
    await expect(runRestore(['--latest'], { DATA_DIR: dataDir, BACKUP_DIR: dir }, { write: () => {} })).rejects.toThrow(
      /there is no backup in/,
    );
    const whole = await createBackup({ database: createDatabaseFile(db), dir, keep: 7, log: captureLogs().log }).run(
      at('2026-12-01T03:30:00Z'),
    );
    // Written after the whole backup: in the database, not in that backup.
    addHousehold(stores, { compound: '阳光小区', building: '1号楼', room: '101', name: '备份之后' }, Date.now());
    db.close();

    const cutAt = at('2026-12-02T03:30:00Z');
    const partial = path.join(dir, `${backupFileName(cutAt)}.partial`);
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, dir, String(cutAt)], {
      cwd: ROOT_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.on('exit', (code, signal) => resolve(signal ?? code)),
    );
    // Killed once the copy has written its first MiB (polled every few ms: the copy takes longer).
    const sizeOf = (file: string) => (fs.existsSync(file) ? fs.statSync(file).size : 0);
    await new Promise<void>((resolve, reject) => {
      const poll = setInterval(() => {
        if (sizeOf(partial) + sizeOf(`${partial}-journal`) > 1024 * 1024) {
          clearInterval(poll);
          child.kill('SIGKILL');
          resolve();
        } else if (child.exitCode !== null) {
          clearInterval(poll);
          reject(new Error(`the backup ended before it could be cut: ${stdout} ${stderr}`));
        }
      }, 2);
    });
    expect(await exited).toBe('SIGKILL');
    expect(stdout).toBe('started\n');

    // Only the whole backup has a backup's name; the cut one is still there, as .partial.
    const names = fs.readdirSync(dir);
    expect(names.filter((n) => BACKUP_FILE.test(n))).toEqual([path.basename(whole.file)]);
    expect(names).toContain(path.basename(partial));

    let out = '';
    const write = (t: string) => {
      out += t;
    };
    await expect(runRestore([partial], { DATA_DIR: dataDir, BACKUP_DIR: dir }, { write })).rejects.toThrow(
      /cut off while it was written/,
    );
    expect(await runRestore(['--latest', '--json'], { DATA_DIR: dataDir, BACKUP_DIR: dir }, { write })).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ restored: whole.file });
    const restored = new Database(path.join(dataDir, DB_FILE_NAME), { readonly: true, fileMustExist: true });
    try {
      expect(restored.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
      expect(restored.prepare("SELECT count(*) AS n FROM households WHERE name = '备份之后'").get()).toEqual({ n: 0 });
    } finally {
      restored.close();
    }

    // The next backup clears what the cut one left.
    const again = openDatabase(dataDir);
    try {
      const next = await createBackup({
        database: createDatabaseFile(again),
        dir,
        keep: 7,
        log: captureLogs().log,
      }).run(at('2026-12-03T03:30:00Z'));
      expect(fs.readdirSync(dir).sort()).toEqual([path.basename(whole.file), path.basename(next.file)]);
    } finally {
      again.close();
    }
  }, 60_000);
});
