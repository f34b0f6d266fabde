import { type LabelConnect, labelPayload } from '../../../protocol/label.js';
import type { Stores } from '../ports.js';
import { generateDeviceId, generateSecret, hashSecret } from '../device-credentials.js';
import type { FleetRow } from './check.js';

/** A device issued in a batch: its household as the sheet and the label print it, its secret, the label's text. */
export type IssuedDevice = FleetRow & { deviceId: string; secret: string; label: string };

/** Why a checked batch could not be issued after all (a household closed or gone meanwhile). */
export type FleetRefusal = { ok: false; line: number; reason: string; reasonEn: string };

class Refused extends Error {
  constructor(readonly refusal: FleetRefusal) {
    super(refusal.reasonEn);
  }
}

/**
 * Issues one device per checked row, all in ONE transaction: every device or none. The rows were
 * checked on another connection a moment ago; a household closed or deleted since refuses the
 * whole batch. The secrets are returned here and nowhere else: the database keeps their hashes.
 *
 * The transaction holds SQLite's one write lock, which the safety core's group commit waits for:
 * the credentials are drawn and hashed before it, and inside there is one read of which
 * households are still open and one insert per device (2,000 devices: ~15 ms, not the ~250 ms of
 * provisionDevice per row, which reads each household whole).
 */
export function provisionFleet(
  stores: Stores,
  rows: readonly FleetRow[],
  connect: LabelConnect,
  now: number,
): { ok: true; devices: IssuedDevice[] } | FleetRefusal {
  const devices = rows.map((row): IssuedDevice & { hash: Buffer } => {
    const device = { id: generateDeviceId(), secret: generateSecret() };
    return {
      ...row,
      deviceId: device.id,
      secret: device.secret,
      label: labelPayload(connect, device),
      hash: hashSecret(device.secret),
    };
  });
  try {
    stores.transaction(() => {
      const open = new Set(stores.households.openHouseholds(rows.map((r) => r.householdId)));
      const gone = rows.find((r) => !open.has(r.householdId));
      if (gone !== undefined)
        throw new Refused({
          ok: false,
          line: gone.line,
          reason: `第 ${gone.line} 行：住户 #${gone.householdId} 刚刚已注销，未创建任何设备`,
          reasonEn: `line ${gone.line}: household #${gone.householdId} was closed meanwhile; no device was created`,
        });
      for (const d of devices) stores.devices.create(d.deviceId, d.householdId, d.hash, now);
    });
  } catch (err) {
    if (err instanceof Refused) return err.refusal;
    throw err;
  }
  return { ok: true, devices: devices.map(({ hash: _hash, ...d }) => d) };
}
