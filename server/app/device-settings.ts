import {
  type EffectiveDeviceSettings,
  type DeviceSettingsScope,
  resolveDeviceSettings,
} from '../domain/device-settings.js';
import type { DeviceConfig } from '../../protocol/mqtt.js';
import type { DeviceSettingsTarget } from './ports-device-settings.js';
import type { Stores } from './ports.js';

/** A config message for one device (ribbon/{id}/config). */
export type ConfigToSend = { deviceId: string; config: DeviceConfig };

function effective(stores: Stores, target: DeviceSettingsTarget): EffectiveDeviceSettings {
  const { heartbeatSec, graceSec } = resolveDeviceSettings(target, stores.deviceSettings.candidates(target));
  return { heartbeatSec, graceSec };
}

/**
 * The safety core's view of device settings (docs/rules.md, "Device settings"). Read when a
 * heartbeat or an online flag comes and when the device goes offline — never on a press — with
 * at most five primary-key lookups; nothing is cached, so a change by any writer (the API, the
 * admin CLI from another process) is seen at the device's next heartbeat at the latest.
 */
export function createDeviceSettingsLookup(stores: Stores) {
  return {
    /**
     * The device's settings now, and the config to tell it: never when `tell` is 'never' (it is
     * gone); when its interval differs from what it was last told; and with 'on-connect' (an
     * online flag) also when it was offline until now — once per connection: the broker's record
     * of the connection and the device's own online flag both come as online flags, and the
     * second finds it online already.
     */
    forMessage(
      deviceId: string,
      tell: 'on-connect' | 'if-changed' | 'never',
    ): { settings: EffectiveDeviceSettings; config: DeviceConfig | null } | null {
      const target = stores.deviceSettings.target(deviceId);
      if (target === null) return null;
      const settings = effective(stores, target);
      if (tell === 'never') return { settings, config: null };
      const changed = settings.heartbeatSec !== target.toldHeartbeatSec;
      if (changed) stores.deviceSettings.setTold(deviceId, settings.heartbeatSec);
      const connected = tell === 'on-connect' && !target.online;
      return { settings, config: connected || changed ? { heartbeatSec: settings.heartbeatSec } : null };
    },
  };
}
export type DeviceSettingsLookup = ReturnType<typeof createDeviceSettingsLookup>;

/**
 * After a row of `scope` changed (set or removed, already committed): every device in use that it
 * reaches gets its settings again. One whose interval changed is told it at once (the returned
 * configs) and, if online and waiting for a heartbeat, has its due time counted afresh from now
 * with the new interval and grace: it can only follow the new interval from now on (a longer one
 * must not make it late, a shorter one is due one new interval after it was told). A change of
 * the grace alone applies from the device's next heartbeat. Run by the safety core in one
 * transaction.
 */
export function applyDeviceSettings(stores: Stores, scope: DeviceSettingsScope, now: number): ConfigToSend[] {
  const told: ConfigToSend[] = [];
  for (const target of stores.deviceSettings.reach(scope)) {
    const settings = effective(stores, target);
    if (settings.heartbeatSec === target.toldHeartbeatSec) continue;
    stores.deviceSettings.setTold(target.id, settings.heartbeatSec);
    if (target.online && target.heartbeatDueAt !== null)
      stores.devices.setHeartbeatDue(target.id, now + (settings.heartbeatSec + settings.graceSec) * 1000);
    told.push({ deviceId: target.id, config: { heartbeatSec: settings.heartbeatSec } });
  }
  return told;
}
