// Households with one button each, written to a new database before a server first starts, and
// the shape of the press rows the delivery tests read back (kill -9 and power-cut tests).
import type { Random } from '../../device-sim/random.js';
import type { RibbonState } from '../../protocol/ribbon.js';
import { addHousehold, provisionDevice } from '../../server/app/provision.js';
import { openDatabase } from '../../server/store/db.js';
import { createStores } from '../../server/store/index.js';

export type PressCredential = { id: string; secret: string; householdId: number; boot: number };

/**
 * `count` households in `compound`, rooms `${room}01`…, one device each with id `${idPrefix}01`…
 * and a random boot (counter generation) drawn from `rng`, one draw per device in order.
 */
export function provisionHouseholds(
  dataDir: string,
  count: number,
  rng: Random,
  names: { compound: string; room: string; idPrefix: string },
): PressCredential[] {
  const db = openDatabase(dataDir);
  try {
    const stores = createStores(db);
    const now = Date.now();
    return Array.from({ length: count }, (_, i) => {
      const n = String(i + 1).padStart(2, '0');
      const householdId = addHousehold(
        stores,
        { compound: names.compound, building: '1号楼', room: `${names.room}${n}`, name: `住户${n}` },
        now,
      );
      const { id, secret } = provisionDevice(stores, householdId, now, `${names.idPrefix}${n}`);
      return { id, secret, householdId, boot: 1 + rng.int(1_000_000) };
    });
  } finally {
    db.close();
  }
}

/** A device's press as stored (events with source 'device'). */
export type PressRow = {
  id: number;
  household_id: number;
  device_id: string;
  boot: number | null;
  seq: number | null;
  state: RibbonState;
};
