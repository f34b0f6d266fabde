import type { Db } from './db.js';
import type { HouseholdsStore, ListedDevice } from '../app/ports-households.js';
import { type DeviceRow, toDevice } from './devices.js';
import { HOUSEHOLD_SELECT, toHousehold } from './places.js';

type ListedRow = DeviceRow & { created_at: number };

const toListed = (row: ListedRow): ListedDevice => ({ ...toDevice(row), createdAt: row.created_at });

/**
 * A household's end and its moves, the devices staff list and move, and the household_changes
 * journal (migration 14) that tells the people side of households written by any connection.
 */
export function createHouseholdsStore(db: Db): HouseholdsStore {
  // Through households_building: the few households of one building.
  const openAt = db.prepare<[number, string], Parameters<typeof toHousehold>[0]>(
    `${HOUSEHOLD_SELECT} WHERE h.building_id = ? AND h.room = ? AND h.closed_at IS NULL ORDER BY h.id`,
  );
  const close = db.prepare<{ id: number; at: number; on: string; reason: string; note: string }>(
    `UPDATE households SET closed_at = @at, closed_on = @on, closed_reason = @reason, closed_note = @note,
       checkin_due_at = NULL WHERE id = @id AND closed_at IS NULL`,
  );
  const reopen = db.prepare<[number | null, number]>(
    `UPDATE households SET closed_at = NULL, closed_on = NULL, closed_reason = NULL, closed_note = NULL,
       checkin_due_at = ? WHERE id = ? AND closed_at IS NOT NULL`,
  );
  const move = db.prepare<[number, number]>('UPDATE households SET building_id = ? WHERE id = ?');
  const moveDevice = db.prepare<[number, string]>(
    'UPDATE devices SET household_id = ? WHERE id = ? AND retired_at IS NULL',
  );
  const pageDevices = db.prepare<
    {
      compounds: string | null;
      household: number | null;
      compound: number | null;
      retired: number;
      after: string;
      limit: number;
    },
    ListedRow
  >(
    `SELECT d.id, d.household_id, d.online, d.online_changed_at, d.battery, d.battery_at, d.last_seen_at,
            d.retired_at, d.model, d.firmware, d.created_at
     FROM devices d JOIN households h ON h.id = d.household_id JOIN buildings b ON b.id = h.building_id
     WHERE d.id > @after AND (@household IS NULL OR d.household_id = @household)
       AND (@compound IS NULL OR b.compound_id = @compound)
       AND (@compounds IS NULL OR b.compound_id IN (SELECT value FROM json_each(@compounds)))
       AND (d.retired_at IS NOT NULL) = (@retired = 1)
     ORDER BY d.id LIMIT @limit`,
  );
  const device = db.prepare<[string], ListedRow>(
    `SELECT id, household_id, online, online_changed_at, battery, battery_at, last_seen_at, retired_at, model,
            firmware, created_at
     FROM devices WHERE id = ?`,
  );
  const lastSeq = db.prepare<[], { seq: number | null }>('SELECT max(seq) AS seq FROM household_changes');
  const after = db.prepare<[number, number], { seq: number; household_id: number }>(
    'SELECT seq, household_id FROM household_changes WHERE seq > ? ORDER BY seq LIMIT ?',
  );
  const prune = db.prepare<[number]>(
    'DELETE FROM household_changes WHERE seq <= (SELECT max(seq) FROM household_changes) - ?',
  );

  return {
    openAt(buildingId, room) {
      return openAt.all(buildingId, room.trim()).map(toHousehold);
    },
    close(householdId, closed) {
      return close.run({ id: householdId, ...closed }).changes === 1;
    },
    reopen(householdId, checkInDueAt) {
      return reopen.run(checkInDueAt, householdId).changes === 1;
    },
    moveToBuilding(householdId, buildingId) {
      move.run(buildingId, householdId);
    },
    moveDevice(deviceId, householdId) {
      return moveDevice.run(householdId, deviceId).changes === 1;
    },
    device(id) {
      const row = device.get(id);
      return row ? toListed(row) : null;
    },
    pageDevices(filter, afterId, limit) {
      return pageDevices
        .all({
          compounds: filter.compoundIds === null ? null : JSON.stringify(filter.compoundIds),
          household: filter.householdId ?? null,
          compound: filter.compoundId ?? null,
          retired: filter.retired === true ? 1 : 0,
          after: afterId,
          limit,
        })
        .map(toListed);
    },
    lastChangeSeq() {
      return lastSeq.get()?.seq ?? 0;
    },
    changesAfter(seq, limit) {
      return after.all(seq, limit).map((r) => ({ seq: r.seq, householdId: r.household_id }));
    },
    pruneHouseholdChanges(keepLast) {
      return prune.run(keepLast).changes;
    },
  };
}
