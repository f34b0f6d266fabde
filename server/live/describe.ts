import type { Change, ChangeJson } from '../../protocol/live.js';
import { alertView, householdView, iso } from '../api/views.js';
import type { Stores } from '../app/ports.js';
import type { CompoundIndex } from './compounds.js';

/**
 * A change as sent: its compound (for the per-user filter), its JSON (a ChangeJson), built once,
 * and how views take it (protocol/live.ts, LiveView): `detail` (a household's report, details or
 * device) goes only to views showing that compound's households; `counts` = the compound's counts
 * may have changed (an area view gets them instead). Alerts and receipts go to the whole scope.
 */
export type Described = { compoundId: number; json: string; detail: boolean; counts: boolean };

/**
 * The change as an element of a delta's `changes`, or null if nobody can place it (its household
 * is gone). Built once per change, whatever the number of dashboards.
 */
export function describeChange(change: Change, stores: Stores, compounds: CompoundIndex): Described | null {
  const at = iso(change.at);
  // The household is read once per change: for its compound and for the view.
  switch (change.type) {
    case 'report':
    case 'household': {
      const h = stores.places.getHousehold(change.householdId);
      if (h === null) return null;
      compounds.note(h.id, h.compoundId);
      const sent: ChangeJson = { ...change, at, compoundId: h.compoundId, household: householdView(h) };
      return { compoundId: h.compoundId, json: JSON.stringify(sent), detail: true, counts: true };
    }
    case 'alert': {
      const h = stores.places.getHousehold(change.householdId);
      if (h === null) return null;
      compounds.note(h.id, h.compoundId);
      const a = stores.alerts.get(change.alertId);
      const sent: ChangeJson = { ...change, at, compoundId: h.compoundId, alert: a ? alertView(a, h) : null };
      return { compoundId: h.compoundId, json: JSON.stringify(sent), detail: false, counts: true };
    }
    case 'device':
    case 'receipt': {
      const compoundId = compounds.of(change.householdId);
      if (compoundId === null) return null;
      const sent: ChangeJson = { ...change, at, compoundId };
      const device = change.type === 'device';
      return { compoundId, json: JSON.stringify(sent), detail: device, counts: device };
    }
    default: {
      const unknown: never = change;
      throw new Error(`unknown change ${JSON.stringify(unknown)}`);
    }
  }
}
