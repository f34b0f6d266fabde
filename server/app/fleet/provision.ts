import { type LabelConnect, labelPayload } from '../../../protocol/label.js';
import type { Stores } from '../ports.js';
import { provisionDevice } from '../provision.js';
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
 */
export function provisionFleet(
  stores: Stores,
  rows: readonly FleetRow[],
  connect: LabelConnect,
  now: number,
): { ok: true; devices: IssuedDevice[] } | FleetRefusal {
  try {
    const devices = stores.transaction(() =>
      rows.map((row): IssuedDevice => {
        const h = stores.places.getHousehold(row.householdId);
        if (h === null || h.closed !== null)
          throw new Refused({
            ok: false,
            line: row.line,
            reason: `第 ${row.line} 行：住户 #${row.householdId} 刚刚已注销，未创建任何设备`,
            reasonEn: `line ${row.line}: household #${row.householdId} was closed meanwhile; no device was created`,
          });
        const device = provisionDevice(stores, row.householdId, now);
        return { ...row, deviceId: device.id, secret: device.secret, label: labelPayload(connect, device) };
      }),
    );
    return { ok: true, devices };
  } catch (err) {
    if (err instanceof Refused) return err.refusal;
    throw err;
  }
}
