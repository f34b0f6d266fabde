import type { Db } from './db.js';
import type { DeviceSort, HouseholdsStore, ListedDevice } from '../app/ports-households.js';
import { LOW_BATTERY_PERCENT } from '../domain/device-health.js';
import { type DeviceRow, toDevice } from './devices.js';
import { HOUSEHOLD_SELECT, toHousehold } from './places.js';

type ListedRow = DeviceRow & { created_at: number };
type PlaceColumns = {
  household_name: string;
  household_room: string;
  building_name: string;
  compound_name: string;
  compound_id: number;
};
type PageParams = {
  compounds: string | null;
  household: number | null;
  compound: number | null;
  retired: number;
  model: string | null;
  online: number | null;
  low: number | null;
  after: string;
  seen: number;
  limit: number;
};

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
  // The inventory (issue 16): by id, or by last seen (never seen counts as 0) with the id breaking
  // ties; the keyset is (seen, id) so a page never repeats or skips a device whose row did not move.
  const pageBy = (order: DeviceSort) => {
    const seen = 'coalesce(d.last_seen_at, 0)';
    const [where, by] =
      order === 'id'
        ? ['d.id > @after', 'd.id']
        : order === 'lastSeen'
          ? [`(${seen}, d.id) > (@seen, @after)`, `${seen}, d.id`]
          : [`(${seen}, d.id) < (@seen, @after)`, `${seen} DESC, d.id DESC`];
    return db.prepare<PageParams, ListedRow & PlaceColumns>(
      `SELECT d.id, d.household_id, d.online, d.online_changed_at, d.battery, d.battery_at, d.last_seen_at,
              d.retired_at, d.model, d.firmware, d.created_at, h.name AS household_name, h.room AS household_room,
              b.name AS building_name, c.name AS compound_name, b.compound_id
       FROM devices d JOIN households h ON h.id = d.household_id JOIN buildings b ON b.id = h.building_id
         JOIN compounds c ON c.id = b.compound_id
       WHERE ${where} AND (@household IS NULL OR d.household_id = @household)
         AND (@compound IS NULL OR b.compound_id = @compound)
         AND (@compounds IS NULL OR b.compound_id IN (SELECT value FROM json_each(@compounds)))
         AND (d.retired_at IS NOT NULL) = (@retired = 1)
         AND (@model IS NULL OR d.model = @model)
         AND (@online IS NULL OR d.online = @online)
         AND (@low IS NULL OR d.battery < @low)
       ORDER BY ${by} LIMIT @limit`,
    );
  };
  const pages = { id: pageBy('id'), lastSeen: pageBy('lastSeen'), '-lastSeen': pageBy('-lastSeen') };
  const open = db.prepare<[string], { id: number }>(
    'SELECT id FROM households WHERE id IN (SELECT value FROM json_each(?)) AND closed_at IS NULL',
  );
  const models = db.prepare<{ compounds: string | null }, { model: string }>(
    `SELECT DISTINCT d.model FROM devices d JOIN households h ON h.id = d.household_id
       JOIN buildings b ON b.id = h.building_id
     WHERE d.model IS NOT NULL AND d.retired_at IS NULL
       AND (@compounds IS NULL OR b.compound_id IN (SELECT value FROM json_each(@compounds)))
     ORDER BY d.model LIMIT 200`,
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
    pageDevices(filter, after, limit) {
      const sort = filter.sort ?? 'id';
      return pages[sort]
        .all({
          compounds: filter.compoundIds === null ? null : JSON.stringify(filter.compoundIds),
          household: filter.householdId ?? null,
          compound: filter.compoundId ?? null,
          retired: filter.retired === true ? 1 : 0,
          model: filter.model ?? null,
          online: filter.online === undefined ? null : filter.online ? 1 : 0,
          low: filter.lowBattery === true ? LOW_BATTERY_PERCENT : null,
          after: after.id,
          seen: after.seen ?? (sort === '-lastSeen' ? Number.MAX_SAFE_INTEGER : -1),
          limit,
        })
        .map((row) => ({
          ...toListed(row),
          place: {
            name: row.household_name,
            compoundId: row.compound_id,
            compound: row.compound_name,
            building: row.building_name,
            room: row.household_room,
          },
        }));
    },
    openHouseholds(ids) {
      return open.all(JSON.stringify(ids)).map((r) => r.id);
    },
    deviceModels(compoundIds) {
      return models.all({ compounds: compoundIds === null ? null : JSON.stringify(compoundIds) }).map((r) => r.model);
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
