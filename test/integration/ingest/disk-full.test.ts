import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { connectDevice } from '../../../device-sim/device.js';
import { DB_FILE_NAME } from '../../../server/store/db.js';
import { migratedDataDir, startTestSystem } from '../../helpers/system.js';
import { waitUntil, withDeadline } from '../../helpers/tools.js';

// A full disk (server/ingest/disk-full.ts, docs/protocol.md §3): the data dir on a small tmpfs of
// its own, filled by the test. Presses are refused without a PUBACK, said once in the log, shown
// on /healthz and /metrics; once space is freed the device's own resend is stored once and acknowledged.
// Mounting needs root (CAP_SYS_ADMIN): without it the test is skipped, except under CI (CI=true).

const DISK_FULL = /^磁盘已满.*disk full/;
const DISK_BACK = /^磁盘空间已恢复.*disk space available again/;

/** A 16 MiB tmpfs on a fresh dir, or why not. */
function mountSmallDisk(): { dir: string; mounted: boolean; reason: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ribbon-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
    return { dir, mounted: true, reason: '' };
  } catch (err) {
    const reason = `cannot mount a tmpfs (needs root): ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
    if (process.env.CI) throw new Error(`CI must run the full-disk test, but ${reason}`);
    process.stderr.write(`skipping the full-disk test: ${reason}\n`);
    return { dir, mounted: false, reason };
  }
}

const disk = mountSmallDisk();
afterAll(() => {
  if (disk.mounted) execFileSync('umount', [disk.dir]);
  fs.rmSync(disk.dir, { recursive: true, force: true });
});

/** Writes `file` until the file system has no byte left. */
function fill(file: string): void {
  const fd = fs.openSync(file, 'w');
  try {
    for (const size of [1 << 20, 1 << 16, 4096, 512, 1]) {
      const chunk = Buffer.alloc(size, 0x5a);
      for (;;) {
        try {
          fs.writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

describe.skipIf(!disk.mounted)('a full disk', () => {
  it('when the disk is full, then presses get no PUBACK and one log line, /healthz says so, and once space is freed the resent press is stored once and acknowledged', async () => {
    const dataDir = path.join(disk.dir, 'data');
    fs.mkdirSync(dataDir, { mode: 0o700 });
    fs.copyFileSync(path.join(migratedDataDir(), DB_FILE_NAME), path.join(dataDir, DB_FILE_NAME));
    const system = await startTestSystem({ dataDir, scheduler: false });
    const creds = system.provision();
    const d = await connectDevice({
      url: system.mqttUrl,
      id: creds.id,
      secret: creds.secret,
      boot: 1,
      reconnectPeriodMs: 100,
    });
    onTestFinished(() => d.close());
    let drops = 0;
    d.on('offline', () => drops++);
    await d.press('blue');

    // A reader's snapshot keeps the WAL from restarting, so every commit must grow it: on a full
    // disk each one fails, whatever the checkpointer's timing (without it, a commit may still fit
    // in frames a checkpoint has just freed, and the disk looks full only now and then).
    const reader = new Database(path.join(dataDir, DB_FILE_NAME), { readonly: true });
    onTestFinished(() => {
      if (reader.open) reader.close();
    });
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM events').get();
    const filler = path.join(disk.dir, 'filler');
    fill(filler);
    const diskFullLines = () => system.logs.lines.filter((l) => DISK_FULL.test(l.msg));
    // The WAL may still have room (frames are reused after a checkpoint): press until one is refused.
    let refused: { seq: number; acked: () => boolean; done: Promise<unknown> } | null = null;
    for (let i = 0; i < 500 && refused === null; i++) {
      let acked = false;
      const done = d.press('red').then(() => (acked = true));
      const seq = d.seq;
      // Whichever comes first; the other poller's timeout is of no interest then.
      await Promise.race([done, waitUntil(() => diskFullLines().length > 0, 'a refusal', 5000).catch(() => {})]);
      if (acked) continue;
      expect(diskFullLines()).toHaveLength(1);
      refused = { seq, acked: () => acked, done };
    }
    if (refused === null) throw new Error('no press was refused on a full disk');

    // Refused, and the connection closed: the device comes back and resends, and is refused again.
    const dropsAtFull = drops;
    await waitUntil(() => drops >= dropsAtFull + 3, 'the device reconnecting and resending, refused each time');
    expect(refused.acked()).toBe(false);
    expect(diskFullLines()).toHaveLength(1);
    expect(system.logs.lines.filter((l) => DISK_BACK.test(l.msg))).toEqual([]);
    expect(system.logs.lines.filter((l) => /group commit failed|could not record online/.test(l.msg))).toEqual([]);
    const health = await fetch(`${system.httpUrl}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'unhealthy', diskFull: true, database: true });
    const metrics = await (await fetch(`${system.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^ribbon_disk_full 1$/m);
    expect(Number(/^ribbon_disk_full_refusals_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(3);

    // Space freed: the device's next resend is stored and acknowledged, without a restart.
    fs.rmSync(filler);
    reader.exec('COMMIT');
    reader.close();
    await withDeadline(refused.done, 10_000, 'the refused press, resent once space is free');
    await d.waitForAck((a) => a.seq === refused.seq, 5000);
    expect(system.logs.lines.filter((l) => DISK_BACK.test(l.msg))).toHaveLength(1);
    const healthAfter = await fetch(`${system.httpUrl}/healthz`);
    expect(healthAfter.status).toBe(200);
    expect(await healthAfter.json()).toMatchObject({ diskFull: false });
    // Every acknowledged press stored exactly once, the refused one too (its resends had no second effect).
    const seqs = system.stores.events.listForDevice(creds.id).map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual(expect.arrayContaining([...d.acked]));
    expect(seqs).toContain(refused.seq);
    await d.press('yellow');
  });
});
