import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createWalSync,
  DB_FILE_NAME,
  openDatabase,
  startWalCheckpointer,
  WAL_BACKSTOP_PAGES,
  type Db,
  type WalCheckpointer,
} from '../../../server/store/db.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDb(): { db: Db; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ribbon-wal-'));
  const db = openDatabase(dir);
  db.exec('CREATE TABLE blob (id INTEGER PRIMARY KEY, data BLOB NOT NULL)');
  cleanups.push(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { db, dir };
}

function start(db: Db, opts: Parameters<typeof startWalCheckpointer>[1]): WalCheckpointer {
  const c = startWalCheckpointer(db, opts);
  // Registered after the database: stopped before it closes.
  cleanups.push(() => c.stop());
  return c;
}

/** One commit of ~4 pages (a 16 KiB blob), as a group commit of a few presses writes. */
const insert = (db: Db): void => {
  db.prepare('INSERT INTO blob (data) VALUES (?)').run(Buffer.alloc(16_000, 7));
};
const walFrames = (db: Db): number => (db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>)[0]?.log ?? -1;
const fileSize = (file: string): number => (fs.existsSync(file) ? fs.statSync(file).size : 0);

describe('WAL checkpointer', () => {
  it('when the checkpointer is started, then commits past SQLite’s default 1,000 pages do not copy the WAL into the database file', () => {
    const { db, dir } = tempDb();
    // The worker's timer never fires in this test: only a checkpoint inside a commit could write the file.
    start(db, { intervalMs: 3_600_000 });
    const dbFile = path.join(dir, DB_FILE_NAME);
    const before = fs.statSync(dbFile);
    for (let i = 0; i < 400; i++) insert(db); // ~1,600 pages
    const after = fs.statSync(dbFile);
    expect(after.size).toBe(before.size);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(WAL_BACKSTOP_PAGES);
    expect(walFrames(db)).toBeGreaterThan(1_000);
  });

  it('when the worker checkpoints, then the rows reach the database file and the WAL is rewound for the next writer', async () => {
    const { db, dir } = tempDb();
    const checkpointer = start(db, { intervalMs: 3_600_000 });
    for (let i = 0; i < 100; i++) insert(db);
    const result = await checkpointer.checkpointNow();
    expect(result.busy).toBe(0);
    expect(result.log).toBeGreaterThan(300);
    expect(result.checkpointed).toBe(result.log);
    // A second connection sees every row without the WAL: the database file holds them.
    const walSize = fileSize(path.join(dir, `${DB_FILE_NAME}-wal`));
    insert(db); // the writer finds every frame copied and starts the WAL again from its beginning
    expect(walFrames(db)).toBeLessThan(10);
    expect(fileSize(path.join(dir, `${DB_FILE_NAME}-wal`))).toBeLessThanOrEqual(walSize);
  });

  it('when commits come in bursts, then the worker on its timer copies them back and the WAL is rewound between bursts', async () => {
    const { db, dir } = tempDb();
    // No backstop within reach: only the worker can keep this WAL small.
    // Between bursts the test waits for a tick of the worker's timer that began after the burst's
    // last commit and copied every frame back (an event, not a pause: on a loaded machine the worker
    // may take far longer than 10 ms to run; and ticks made during the burst, which saw only part of
    // it, arrive only once the burst is over).
    let copiedAfter: { at: number; resolve: () => void } | null = null;
    start(db, {
      intervalMs: 10,
      backstopPages: 1_000_000,
      onTick: (r, startedAt) => {
        if (copiedAfter !== null && startedAt > copiedAfter.at && r.log > 0 && r.checkpointed === r.log)
          copiedAfter.resolve();
      },
    });
    const wal = path.join(dir, `${DB_FILE_NAME}-wal`);
    let largest = 0;
    for (let burst = 0; burst < 20; burst++) {
      for (let i = 0; i < 30; i++) insert(db); // ~120 pages a burst, ~2,400 in all
      largest = Math.max(largest, fileSize(wal));
      const at = Date.now();
      await new Promise<void>((resolve) => {
        copiedAfter = { at, resolve };
      });
      copiedAfter = null;
    }
    expect((db.prepare('SELECT count(*) AS n FROM blob').get() as { n: number }).n).toBe(600);
    // Without the worker the WAL would hold all ~2,400 pages (~10 MB); rewound, a burst or two.
    expect(largest).toBeLessThan(400 * (4096 + 24));
  });

  it('when the worker is gone, then the auto-checkpoint still bounds the WAL', async () => {
    const { db, dir } = tempDb();
    const checkpointer = startWalCheckpointer(db, { intervalMs: 3_600_000, backstopPages: 200 });
    await checkpointer.stop();
    await expect(checkpointer.checkpointNow()).rejects.toThrow(/stopped/);
    const wal = path.join(dir, `${DB_FILE_NAME}-wal`);
    let largest = 0;
    for (let i = 0; i < 300; i++) {
      insert(db);
      largest = Math.max(largest, fileSize(wal));
    }
    expect(largest).toBeLessThan((200 + 10) * (4096 + 24) + 32);
  });

  it('when the system stops, then the database closes with an empty WAL (the worker closed first)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ribbon-wal-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const db = openDatabase(dir);
    db.exec('CREATE TABLE blob (id INTEGER PRIMARY KEY, data BLOB NOT NULL)');
    const checkpointer = startWalCheckpointer(db, { intervalMs: 10 });
    for (let i = 0; i < 50; i++) insert(db);
    await checkpointer.stop();
    db.close();
    // The last connection to close checkpoints everything and deletes the WAL.
    expect(fs.existsSync(path.join(dir, `${DB_FILE_NAME}-wal`))).toBe(false);
    const again = openDatabase(dir);
    expect((again.prepare('SELECT count(*) AS n FROM blob').get() as { n: number }).n).toBe(50);
    again.close();
  });
});

describe('createWalSync: commits whose fsync leaves the event loop', () => {
  it('commits with synchronous=NORMAL inside, FULL again after (other transactions keep syncing); the commit is visible before the sync; sync calls back once the WAL is synced', async () => {
    const { db, dir } = tempDb();
    const walSync = createWalSync(db);
    cleanups.push(() => walSync.close());
    const level = () => db.pragma('synchronous', { simple: true });
    expect(level()).toBe(2);
    const inside = walSync.transaction(() => {
      db.prepare('INSERT INTO blob (data) VALUES (?)').run(Buffer.alloc(100));
      return level();
    });
    expect(inside).toBe(1);
    expect(level()).toBe(2);
    // Visible to another connection before any sync: the caller must acknowledge nothing yet.
    const reader = openDatabase(dir);
    cleanups.push(() => {
      reader.close();
    });
    expect(reader.prepare('SELECT count(*) AS n FROM blob').get()).toEqual({ n: 1 });
    const err = await new Promise<Error | null>((resolve) => walSync.sync(resolve));
    expect(err).toBeNull();
    // A transaction that throws rolls back and still restores FULL.
    expect(() =>
      walSync.transaction(() => {
        throw new Error('bad batch');
      }),
    ).toThrow('bad batch');
    expect(level()).toBe(2);
  });

  it('when the WAL file is gone, then sync calls back with the error instead of acknowledging', async () => {
    const { db, dir } = tempDb();
    const walSync = createWalSync(db);
    cleanups.push(() => walSync.close());
    walSync.transaction(() => db.prepare('INSERT INTO blob (data) VALUES (?)').run(Buffer.alloc(100)));
    walSync.close();
    db.close(); // the last connection: SQLite checkpoints and deletes the WAL
    expect(fs.existsSync(path.join(dir, `${DB_FILE_NAME}-wal`))).toBe(false);
    const err = await new Promise<Error | null>((resolve) => walSync.sync(resolve));
    expect(err?.message).toMatch(/ENOENT/);
  });
});
