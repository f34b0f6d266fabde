import type { DeviceSettingsStore, DeviceSettingsTarget, StoredDeviceSettings } from '../app/ports-device-settings.js';
import { candidateKeys, type DeviceSettingsRow, scopeKey } from '../domain/device-settings.js';
import type { Db } from './db.js';

type Row = {
  compound_id: number | null;
  model: string | null;
  heartbeat_sec: number | null;
  grace_sec: number | null;
  updated_at: number;
  updated_by: string;
};
type TargetRow = {
  id: string;
  compound_id: number | null;
  model: string | null;
  heartbeat_every_sec: number;
  online: number;
  heartbeat_due_at: number | null;
};

const toStored = (r: Row): StoredDeviceSettings => ({
  compoundId: r.compound_id,
  model: r.model,
  heartbeatSec: r.heartbeat_sec,
  graceSec: r.grace_sec,
  updatedAt: r.updated_at,
  updatedBy: r.updated_by,
});
const toTarget = (r: TargetRow): DeviceSettingsTarget => ({
  id: r.id,
  compoundId: r.compound_id,
  model: r.model,
  toldHeartbeatSec: r.heartbeat_every_sec,
  online: r.online === 1,
  heartbeatDueAt: r.heartbeat_due_at,
});

// A device's compound is its household's building's (households_building, buildings' primary key).
const TARGET = `SELECT d.id, b.compound_id, d.model, d.heartbeat_every_sec, d.online, d.heartbeat_due_at
  FROM devices d JOIN households h ON h.id = d.household_id JOIN buildings b ON b.id = h.building_id`;
const ORDER = `ORDER BY compound_id IS NOT NULL, compound_id, model IS NOT NULL, model`;

export function createDeviceSettingsStore(db: Db): DeviceSettingsStore {
  const all = db.prepare<[], Row>(`SELECT * FROM device_settings ${ORDER}`);
  const some = db.prepare<[string], Row>(
    `SELECT * FROM device_settings WHERE compound_id IS NULL OR compound_id IN (SELECT value FROM json_each(?)) ${ORDER}`,
  );
  const get = db.prepare<[string], Row>('SELECT * FROM device_settings WHERE scope_key = ?');
  const upsert = db.prepare<[string, number | null, string | null, number | null, number | null, number, string]>(
    `INSERT OR REPLACE INTO device_settings (scope_key, compound_id, model, heartbeat_sec, grace_sec, updated_at, updated_by)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const remove = db.prepare<[string]>('DELETE FROM device_settings WHERE scope_key = ?');
  const byKeys = db.prepare<[string], Row>(
    'SELECT * FROM device_settings WHERE scope_key IN (SELECT value FROM json_each(?))',
  );
  const target = db.prepare<[string], TargetRow>(`${TARGET} WHERE d.id = ? AND d.retired_at IS NULL`);
  const inCompound = db.prepare<[number], TargetRow>(
    `${TARGET} WHERE b.compound_id = ? AND d.retired_at IS NULL ORDER BY d.id`,
  );
  const ofModel = db.prepare<[string], TargetRow>(`${TARGET} WHERE d.model = ? AND d.retired_at IS NULL ORDER BY d.id`);
  const inUse = db.prepare<[], TargetRow>(`${TARGET} WHERE d.retired_at IS NULL ORDER BY d.id`);
  const setTold = db.prepare<[number, string]>('UPDATE devices SET heartbeat_every_sec = ? WHERE id = ?');

  return {
    list(compoundIds) {
      return (compoundIds === null ? all.all() : some.all(JSON.stringify(compoundIds))).map(toStored);
    },
    get(scope) {
      const row = get.get(scopeKey(scope));
      return row ? toStored(row) : null;
    },
    set(row: DeviceSettingsRow, by, now) {
      upsert.run(scopeKey(row), row.compoundId, row.model, row.heartbeatSec, row.graceSec, now, by);
    },
    remove(scope) {
      return remove.run(scopeKey(scope)).changes === 1;
    },
    candidates(device) {
      return byKeys.all(JSON.stringify(candidateKeys(device))).map(toStored);
    },
    target(deviceId) {
      const row = target.get(deviceId);
      return row ? toTarget(row) : null;
    },
    reach(scope) {
      const rows =
        scope.compoundId !== null
          ? inCompound.all(scope.compoundId).filter((r) => scope.model === null || r.model === scope.model)
          : scope.model !== null
            ? ofModel.all(scope.model)
            : inUse.all();
      return rows.map(toTarget);
    },
    setTold(deviceId, heartbeatSec) {
      setTold.run(heartbeatSec, deviceId);
    },
  };
}
