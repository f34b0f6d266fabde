import type { Alert } from '../store/alerts.js';
import type { Stores } from '../store/index.js';

/**
 * The JSON an alert is shown as, the same over HTTP (/api/alerts) and on the live feed (/ws),
 * so a dashboard can merge a delta into what it listed.
 */

/** Times go out as ISO 8601 (UTC); null stays null. */
export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function alertView(stores: Stores, a: Alert) {
  const h = stores.places.getHousehold(a.householdId);
  return {
    id: a.id,
    kind: a.kind,
    status: a.status,
    level: a.level,
    householdId: a.householdId,
    compoundId: h?.compoundId ?? null,
    openedAt: iso(a.openedAt),
    acknowledgedAt: iso(a.acknowledgedAt),
    acknowledgedBy: a.acknowledgedBy,
    arrivedAt: iso(a.arrivedAt),
    arrivedBy: a.arrivedBy,
    resolvedAt: iso(a.resolvedAt),
    resolvedBy: a.resolvedBy,
    resolutionNote: a.resolutionNote,
    reportCount: a.reportCount,
    reason: a.reason,
    dueAt: iso(a.dueAt),
    household: h ? { name: h.name, compound: h.compound, building: h.building, room: h.room } : null,
  };
}
