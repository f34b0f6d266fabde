import type { RejectedMessage, RejectedStore } from '../app/ports.js';
import type { RejectTally } from '../domain/reject-limit.js';
import type { Db } from './db.js';

type TallyRow = {
  device_id: string;
  since: number;
  total: number;
  counted: number;
  window_start: number;
  kept_in_window: number;
  counted_in_window: number;
  last_at: number;
};

export function createRejectedStore(db: Db): RejectedStore {
  const insert = db.prepare<[string, string, Buffer, string, number]>(
    'INSERT INTO rejected_messages (device_id, topic, payload, reason, received_at) VALUES (?, ?, ?, ?, ?)',
  );
  const list = db.prepare<
    [string],
    { id: number; device_id: string; topic: string; payload: Buffer; reason: string; received_at: number }
  >('SELECT * FROM rejected_messages WHERE device_id = ? ORDER BY id');
  // Ids only grow (INTEGER PRIMARY KEY takes max + 1, and the newest row is never the one
  // deleted), so the rows with id ≤ newest − maxRows are the oldest ones beyond the bound.
  const dropUpTo = db.prepare<[number]>('DELETE FROM rejected_messages WHERE id <= ?');
  const count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM rejected_messages');
  const getTally = db.prepare<[string], TallyRow>('SELECT * FROM device_rejects WHERE device_id = ?');
  const putTally = db.prepare<[TallyRow]>(
    `INSERT INTO device_rejects (device_id, since, total, counted, window_start, kept_in_window, counted_in_window, last_at)
     VALUES (@device_id, @since, @total, @counted, @window_start, @kept_in_window, @counted_in_window, @last_at)
     ON CONFLICT (device_id) DO UPDATE SET since = excluded.since, total = excluded.total, counted = excluded.counted,
       window_start = excluded.window_start, kept_in_window = excluded.kept_in_window,
       counted_in_window = excluded.counted_in_window, last_at = excluded.last_at`,
  );
  return {
    insert(message: Omit<RejectedMessage, 'id'>): number {
      return Number(
        insert.run(message.deviceId, message.topic, message.payload, message.reason, message.receivedAt)
          .lastInsertRowid,
      );
    },
    listForDevice(deviceId: string): RejectedMessage[] {
      return list.all(deviceId).map((r) => ({
        id: r.id,
        deviceId: r.device_id,
        topic: r.topic,
        payload: r.payload,
        reason: r.reason,
        receivedAt: r.received_at,
      }));
    },
    bound(newestId: number, maxRows: number): number {
      return dropUpTo.run(newestId - maxRows).changes;
    },
    count: () => count.get()?.n ?? 0,
    tally(deviceId: string): RejectTally | null {
      const r = getTally.get(deviceId);
      if (r === undefined) return null;
      return {
        deviceId: r.device_id,
        since: r.since,
        total: r.total,
        counted: r.counted,
        windowStart: r.window_start,
        keptInWindow: r.kept_in_window,
        countedInWindow: r.counted_in_window,
        lastAt: r.last_at,
      };
    },
    saveTally(t: RejectTally): void {
      putTally.run({
        device_id: t.deviceId,
        since: t.since,
        total: t.total,
        counted: t.counted,
        window_start: t.windowStart,
        kept_in_window: t.keptInWindow,
        counted_in_window: t.countedInWindow,
        last_at: t.lastAt,
      });
    },
  };
}
