import type { AlertJson, DeviceJson, HouseholdJson } from '../../protocol/live.js';
import type { Alert, Device, Household, Stores } from '../app/ports.js';

/**
 * The JSON a household, a device and an alert are shown as, the same over HTTP (/api/…) and on
 * the live feed (/ws), so a dashboard can merge a delta into what it listed (the shapes are in
 * protocol/live.ts).
 */

/** Times go out as ISO 8601 (UTC); null stays null. */
export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function householdView(h: Household): HouseholdJson {
  return {
    id: h.id,
    name: h.name,
    room: h.room,
    building: h.building,
    buildingId: h.buildingId,
    compound: h.compound,
    compoundId: h.compoundId,
    state: h.state,
    stateAt: iso(h.stateAt),
    lastCheckInAt: iso(h.lastCheckInAt),
    awayUntil: h.awayUntil,
  };
}

export function deviceView(d: Device): DeviceJson {
  return { id: d.id, householdId: d.householdId, online: d.online, battery: d.battery, lastSeenAt: iso(d.lastSeenAt) };
}

/** An alert with its household (the caller has usually read it already: pass it in). */
export function alertView(a: Alert, h: Household | null): AlertJson {
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

/** alertView, reading the household. */
export function alertViewOf(stores: Stores, a: Alert): AlertJson {
  return alertView(a, stores.places.getHousehold(a.householdId));
}
