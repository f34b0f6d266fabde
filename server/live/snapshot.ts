import type { ReceiptJson, SnapshotFrame } from '../../protocol/live.js';
import { seesCompound } from '../api/auth.js';
import { alertView, deviceView, householdView } from '../api/views.js';
import type { Stores } from '../app/ports.js';
import type { User } from '../app/ports.js';
import type { CompoundIndex } from './compounds.js';
import { receiptView, type ReceiptTracker } from './receipts.js';

/** A snapshot frame without its `type` and `seq` (the connection adds those). */
export type SnapshotBody = Omit<SnapshotFrame, 'type' | 'seq'>;

export type SnapshotSources = {
  stores: Stores;
  compounds: CompoundIndex;
  receipts: ReceiptTracker;
  /** At most this many households (and alerts). */
  limit: number;
};

/**
 * What `user` may see now (their compounds; an admin all): households, the open and acknowledged
 * alerts newest first, the devices of the households shown, and the receipts not yet on disk.
 * `truncated` when there are more households or alerts than `limit`.
 */
export function buildSnapshot(user: User, from: SnapshotSources, now: number): SnapshotBody {
  const { stores, compounds, receipts, limit } = from;
  const compoundIds = user.role === 'admin' ? null : user.compoundIds;
  const households = stores.places.pageHouseholds(0, limit + 1, compoundIds);
  const open = stores.alerts.page({ status: 'open', compoundIds }, null, limit + 1);
  const acknowledged = stores.alerts.page({ status: 'acknowledged', compoundIds }, null, limit + 1);
  const alerts = [...open, ...acknowledged].sort((a, b) => b.openedAt - a.openedAt || b.id - a.id);
  const truncated = households.length > limit || alerts.length > limit;
  const shown = households.slice(0, limit);
  const byId = new Map(shown.map((h) => [h.id, h]));
  for (const h of shown) compounds.note(h.id, h.compoundId);
  const devices = stores.devices
    .list()
    .filter((d) => d.retiredAt === null && byId.has(d.householdId))
    .map(deviceView);
  const unsettled: ReceiptJson[] = [];
  for (const r of receipts.unsettled()) {
    const compoundId = compounds.of(r.householdId);
    if (compoundId !== null && seesCompound(user, compoundId)) unsettled.push(receiptView(r, compoundId));
  }
  return {
    at: new Date(now).toISOString(),
    truncated,
    households: shown.map(householdView),
    alerts: alerts
      .slice(0, limit)
      .map((a) => alertView(a, byId.get(a.householdId) ?? stores.places.getHousehold(a.householdId))),
    devices,
    receipts: unsettled,
  };
}
