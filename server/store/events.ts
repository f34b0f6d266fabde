import type { Db } from './db.js';
import type { ReportSource, RibbonState } from '../domain/ribbon.js';
import type { EarlierPress } from '../domain/dedupe.js';
import type { EventsStore, NewEvent, StoredEvent } from '../app/ports.js';

type EventRow = {
  id: number;
  household_id: number;
  source: ReportSource;
  device_id: string | null;
  state: RibbonState;
  seq: number | null;
  boot: number | null;
  device_at: string | null;
  battery: number | null;
  reported_by: string | null;
  note: string | null;
  received_at: number;
  /** NULL only in a row written by hand: then it was observed when received. */
  observed_at: number | null;
};

function toEvent(row: EventRow): StoredEvent {
  return {
    id: row.id,
    householdId: row.household_id,
    source: row.source,
    deviceId: row.device_id,
    state: row.state,
    seq: row.seq,
    boot: row.boot,
    deviceAt: row.device_at,
    battery: row.battery,
    reportedBy: row.reported_by,
    note: row.note,
    receivedAt: row.received_at,
    observedAt: row.observed_at ?? row.received_at,
  };
}

export function createEventsStore(db: Db): EventsStore {
  const insert = db.prepare<
    [
      number,
      ReportSource,
      string | null,
      RibbonState,
      number | null,
      number | null,
      string | null,
      number | null,
      string | null,
      string | null,
      number,
      number,
      string | null,
    ]
  >(
    `INSERT INTO events (household_id, source, device_id, state, seq, boot, device_at, battery, reported_by, note, received_at, observed_at, idempotency_key)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const byKey = db.prepare<[number, string], EventRow>(
    'SELECT * FROM events WHERE household_id = ? AND idempotency_key = ?',
  );
  // Keyset pagination over the index events_household (household_id, received_at DESC, id DESC).
  const page = db.prepare<[number, number, number, number, number], EventRow>(
    `SELECT * FROM events WHERE household_id = ? AND (received_at < ? OR (received_at = ? AND id < ?))
     ORDER BY received_at DESC, id DESC LIMIT ?`,
  );
  // `boot IS ?` matches NULL to NULL, so one statement serves devices with and without boot. Read
  // for every press (twice for a red): `+?`, not `?`: see "Statements run for every press" in db.ts.
  const earlier = db.prepare<[string, number | null, number], { state: RibbonState; received_at: number }>(
    `SELECT state, received_at FROM events WHERE device_id = +? AND boot IS +? AND seq = +?
     ORDER BY id DESC LIMIT 1`,
  );
  const byHousehold = db.prepare<[number, number], EventRow>(
    'SELECT * FROM events WHERE household_id = ? ORDER BY received_at DESC, id DESC LIMIT ?',
  );
  const byId = db.prepare<[number], EventRow>('SELECT * FROM events WHERE id = ?');
  const byDevice = db.prepare<[string], EventRow>('SELECT * FROM events WHERE device_id = ? ORDER BY id');

  return {
    insert(event: NewEvent): number {
      return Number(
        insert.run(
          event.householdId,
          event.source,
          event.deviceId,
          event.state,
          event.seq,
          event.boot,
          event.deviceAt,
          event.battery,
          event.reportedBy,
          event.note,
          event.receivedAt,
          event.observedAt ?? event.receivedAt,
          event.idempotencyKey ?? null,
        ).lastInsertRowid,
      );
    },
    /** A household's report with this idempotency key (keys are the sender's, per household). */
    byIdempotencyKey(householdId: number, key: string): StoredEvent | null {
      const row = byKey.get(householdId, key);
      return row ? toEvent(row) : null;
    },
    /** Newest first, after the (receivedAt, id) position `before` (exclusive), at most `limit`. */
    pageForHousehold(
      householdId: number,
      before: { receivedAt: number; id: number } | null,
      limit: number,
    ): StoredEvent[] {
      const at = before ?? { receivedAt: Number.MAX_SAFE_INTEGER, id: Number.MAX_SAFE_INTEGER };
      return page.all(householdId, at.receivedAt, at.receivedAt, at.id, limit).map(toEvent);
    },
    get(id: number): StoredEvent | null {
      const row = byId.get(id);
      return row ? toEvent(row) : null;
    },
    earlierPress(deviceId: string, boot: number | null, seq: number): EarlierPress {
      const row = earlier.get(deviceId, boot, seq);
      return row ? { state: row.state, receivedAt: row.received_at } : null;
    },
    listForHousehold(householdId: number, limit = 100): StoredEvent[] {
      return byHousehold.all(householdId, limit).map(toEvent);
    },
    listForDevice(deviceId: string): StoredEvent[] {
      return byDevice.all(deviceId).map(toEvent);
    },
  };
}
