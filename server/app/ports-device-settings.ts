import type { DeviceSettingsRow, DeviceSettingsScope } from '../domain/device-settings.js';

/** A stored device-settings row, with who set it when. */
export type StoredDeviceSettings = DeviceSettingsRow & { updatedAt: number; updatedBy: string };

/** What the safety core needs of one device to resolve and apply its settings. */
export type DeviceSettingsTarget = {
  id: string;
  /** Null when the device's household has no compound (it always has one today). */
  compoundId: number | null;
  model: string | null;
  /** The heartbeat interval the device was last told (devices.heartbeat_every_sec). */
  toldHeartbeatSec: number;
  online: boolean;
  heartbeatDueAt: number | null;
};

/** The device_settings table (migration 19) and the device columns it drives. */
export interface DeviceSettingsStore {
  /** Every row, or those of these compounds plus the model-wide and default rows; default first. */
  list(compoundIds: readonly number[] | null): StoredDeviceSettings[];
  get(scope: DeviceSettingsScope): StoredDeviceSettings | null;
  /** Inserts or replaces the row of its scope. */
  set(row: DeviceSettingsRow, by: string, now: number): void;
  /** False if there was no such row. */
  remove(scope: DeviceSettingsScope): boolean;
  /** The rows that may apply to a device in this compound reporting this model (≤ 4 key lookups). */
  candidates(device: { compoundId: number | null; model: string | null }): DeviceSettingsRow[];
  /** One device as the core applies its settings; null if unknown or retired. */
  target(deviceId: string): DeviceSettingsTarget | null;
  /** The devices in use a row of this scope reaches (any compound / model where null). */
  reach(scope: DeviceSettingsScope): DeviceSettingsTarget[];
  /** The interval the device has now been told. */
  setTold(deviceId: string, heartbeatSec: number): void;
}
