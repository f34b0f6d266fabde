import type { Device, DeviceAuth, DevicesStore } from '../app/ports.js';
import type { Db } from './db.js';

export type DeviceRow = {
  id: string;
  household_id: number;
  online: number;
  online_changed_at: number | null;
  battery: number | null;
  battery_at: number | null;
  last_seen_at: number | null;
  retired_at: number | null;
  model: string | null;
  firmware: string | null;
};

export function toDevice(row: DeviceRow): Device {
  return {
    id: row.id,
    householdId: row.household_id,
    online: row.online === 1,
    onlineChangedAt: row.online_changed_at,
    battery: row.battery,
    batteryAt: row.battery_at,
    lastSeenAt: row.last_seen_at,
    retiredAt: row.retired_at,
    model: row.model,
    firmware: row.firmware,
  };
}

export function createDevicesStore(db: Db): DevicesStore {
  const insert = db.prepare<[string, number, Buffer, number]>(
    'INSERT INTO devices (id, household_id, secret_hash, created_at) VALUES (?, ?, ?, ?)',
  );
  const auth = db.prepare<
    [string],
    { id: string; household_id: number; secret_hash: Buffer; retired_at: number | null }
  >('SELECT id, household_id, secret_hash, retired_at FROM devices WHERE id = ?');
  const get = db.prepare<[string], DeviceRow>('SELECT * FROM devices WHERE id = ?');
  const list = db.prepare<[], DeviceRow>('SELECT * FROM devices ORDER BY household_id, id');
  // The devices in use of some compounds' households, through their buildings and households
  // (households_building, devices_household): a compound's wall reads its own, not the district's.
  const inUseIn = db.prepare<[string], DeviceRow>(
    `SELECT d.* FROM (SELECT value AS compound_id FROM json_each(?)) c
     CROSS JOIN buildings b ON b.compound_id = c.compound_id CROSS JOIN households h ON h.building_id = b.id
     CROSS JOIN devices d ON d.household_id = h.id WHERE d.retired_at IS NULL ORDER BY d.household_id, d.id`,
  );
  const setOnline = db.prepare<[number, number, number, string]>(
    'UPDATE devices SET online = ?, online_changed_at = ?, last_seen_at = ? WHERE id = ?',
  );
  const setBattery = db.prepare<[number, number, number, string]>(
    'UPDATE devices SET battery = ?, battery_at = ?, last_seen_at = ? WHERE id = ?',
  );
  // What a heartbeat says of the device: a model or firmware it does not say stays as it was.
  const heartbeat = db.prepare<[number, number, number, string | null, string | null, string]>(
    'UPDATE devices SET battery = ?, battery_at = ?, last_seen_at = ?, model = coalesce(?, model), firmware = coalesce(?, firmware) WHERE id = ?',
  );
  const setHeartbeatDue = db.prepare<[number | null, string]>('UPDATE devices SET heartbeat_due_at = ? WHERE id = ?');
  const dueHeartbeats = db.prepare<[number, number], { id: string; household_id: number; heartbeat_due_at: number }>(
    'SELECT id, household_id, heartbeat_due_at FROM devices WHERE heartbeat_due_at IS NOT NULL AND heartbeat_due_at <= ? ORDER BY heartbeat_due_at LIMIT ?',
  );
  const claimHeartbeat = db.prepare<[string, number]>(
    'UPDATE devices SET heartbeat_due_at = NULL WHERE id = ? AND heartbeat_due_at = ?',
  );
  const forHousehold = db.prepare<[number], DeviceRow>(
    'SELECT * FROM devices WHERE household_id = ? AND retired_at IS NULL ORDER BY id',
  );
  const rotate = db.prepare<[Buffer, string]>('UPDATE devices SET secret_hash = ? WHERE id = ? AND retired_at IS NULL');
  const retire = db.prepare<[number, string]>(
    'UPDATE devices SET retired_at = ?, heartbeat_due_at = NULL WHERE id = ? AND retired_at IS NULL',
  );
  const countOnline = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM devices WHERE online = 1');
  const setAllOffline = db.prepare<[number]>('UPDATE devices SET online = 0, online_changed_at = ? WHERE online = 1');

  return {
    create(id: string, householdId: number, secretHash: Buffer, now: number): void {
      insert.run(id, householdId, secretHash, now);
    },
    findForAuth(id: string): DeviceAuth | null {
      const row = auth.get(id);
      return row
        ? {
            id: row.id,
            householdId: row.household_id,
            secretHash: row.secret_hash,
            retired: row.retired_at !== null,
          }
        : null;
    },
    get(id: string): Device | null {
      const row = get.get(id);
      return row ? toDevice(row) : null;
    },
    list(): Device[] {
      return list.all().map(toDevice);
    },
    inUseIn(compoundIds: readonly number[]): Device[] {
      return inUseIn.all(JSON.stringify(compoundIds)).map(toDevice);
    },
    setOnline(id: string, online: boolean, now: number): void {
      setOnline.run(online ? 1 : 0, now, now, id);
    },
    recordBattery(id: string, battery: number, now: number): void {
      setBattery.run(battery, now, now, id);
    },
    recordHeartbeat(
      id: string,
      report: { battery: number; model: string | null; firmware: string | null },
      now: number,
    ): void {
      heartbeat.run(report.battery, now, now, report.model, report.firmware, id);
    },
    /** The moment the device counts as offline if no heartbeat comes: its interval + grace (device-settings). */
    setHeartbeatDue(id: string, dueAt: number | null): void {
      setHeartbeatDue.run(dueAt, id);
    },
    dueHeartbeats(now: number, limit: number): Array<{ id: string; householdId: number; dueAt: number }> {
      return dueHeartbeats
        .all(now, limit)
        .map((r) => ({ id: r.id, householdId: r.household_id, dueAt: r.heartbeat_due_at }));
    },
    claimHeartbeat(id: string, expected: number): boolean {
      return claimHeartbeat.run(id, expected).changes === 1;
    },
    forHousehold(householdId: number): Device[] {
      return forHousehold.all(householdId).map(toDevice);
    },
    /** A new secret (the old one stops working at the next CONNECT); false if unknown or retired. */
    rotateSecret(id: string, secretHash: Buffer): boolean {
      return rotate.run(secretHash, id).changes === 1;
    },
    retire(id: string, now: number): boolean {
      return retire.run(now, id).changes === 1;
    },
    countOnline(): number {
      return countOnline.get()?.n ?? 0;
    },
    /** At start: nobody is connected to a broker that has just started. */
    markAllOffline(now: number): number {
      return setAllOffline.run(now).changes;
    },
  };
}
