// What a power-cut data disk holds, read on the host as a reboot would find it: e2fsck replays the
// ext4 journal, debugfs copies the database files out (no mount), and the project's own code
// (server/store openDatabase: WAL recovery, schema check) opens them to read the presses and alerts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../server/store/db.js';
import type { PressRow } from '../helpers/press-households.js';
import { checkDisk, copyOut, type DiskCheck, GUEST_DATA_DIR } from './guest/index.js';
import { pressKey } from './press-fleet.js';

export type EventRow = PressRow;
export type AlertRow = { household_id: number; kind: string; status: string; report_count: number };

export type DiskState = {
  check: DiskCheck;
  rows: EventRow[];
  /** "id/boot/seq" → how many event rows that press has. */
  stored: Map<string, number>;
  alerts: AlertRow[];
  /** Size of the WAL found on the disk, bytes (0 when none). */
  walBytes: number;
};

/** The data folder's path on the data disk (mounted at /data in the guest). */
const ON_DISK = GUEST_DATA_DIR.replace(/^\/data/, '');

/** Checks the disk (journal replay) and reads the database on it; the image is left repaired. */
export function readDisk(disk: string): DiskState {
  const check = checkDisk(disk);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ribbon-cut-'));
  try {
    const dir = copyOut(disk, ON_DISK, tmp);
    const wal = path.join(dir, 'ribbon.db-wal');
    const walBytes = fs.existsSync(wal) ? fs.statSync(wal).size : 0;
    const db = openDatabase(dir);
    try {
      const rows = db
        .prepare<[], EventRow>(
          "SELECT id, household_id, device_id, boot, seq, state FROM events WHERE source = 'device' ORDER BY id",
        )
        .all();
      const alerts = db
        .prepare<[], AlertRow>('SELECT household_id, kind, status, report_count FROM alerts ORDER BY id')
        .all();
      const stored = new Map<string, number>();
      for (const r of rows) {
        const key = pressKey(r.device_id, r.boot, r.seq);
        stored.set(key, (stored.get(key) ?? 0) + 1);
      }
      return { check, rows, stored, alerts, walBytes };
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
