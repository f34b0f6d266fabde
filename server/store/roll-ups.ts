import type { Db } from './db.js';
import type { AlertKind, RibbonState } from '../domain/ribbon.js';
import type { CompoundCounts, HouseholdFigures, RollUpsStore } from '../app/ports-roll-ups.js';

/**
 * The grouped reads the roll-ups are summed from (app/roll-ups.ts): one row per compound, never
 * one per household, except for the one compound a drill-down opens. The compounds asked for
 * come in as a JSON array (json_each), so a community's figures read only its own households;
 * events and devices are reached only through their household indexes (events_household with
 * the day's range; devices_household, which covers what is read: migration 12) — never a scan
 * of events. The alerts opened in the day are the daily report's read (store/reports.ts
 * openedBetween), not a second copy here.
 */

const UNRESOLVED = "('open', 'acknowledged')";
const ALL_KINDS = "('emergency', 'service', 'missed_checkin', 'device')";

export function createRollUpsStore(db: Db): RollUpsStore {
  // Each household once: its devices (not retired) through devices_household, and whether it
  // was heard in [from, to): a device's last word then (a heartbeat is heard from, though not a
  // check-in), else a report received then (events_household, a range; the CASE keeps this probe
  // for the few households no device spoke for). A household closed by then is none (issue 15:
  // it was not one of the day's households; its history is still on record). Two loops, the same sums: over every household
  // in rowid order for a large share of the district (a scan of households is cheaper than 20,000
  // index searches), or through the compounds' buildings and households_building for a few.
  const perHousehold = (from: string) =>
    db.prepare<
      { compounds: string; from: number; to: number },
      { compound_id: number; households: number; working: number; heard: number; devices: number; offline: number }
    >(
      `SELECT compound_id, count(*) AS households, sum(online > 0) AS working, sum(heard) AS heard,
              sum(devices) AS devices, sum(devices - online) AS offline
       FROM (
         SELECT b.compound_id, count(d.id) AS devices, count(CASE WHEN d.online = 1 THEN 1 END) AS online,
                CASE WHEN count(CASE WHEN d.last_seen_at >= @from AND d.last_seen_at < @to THEN 1 END) > 0 THEN 1
                     ELSE EXISTS (SELECT 1 FROM events e WHERE e.household_id = h.id AND e.received_at >= @from AND e.received_at < @to)
                END AS heard
         ${from}
         LEFT JOIN devices d ON d.household_id = h.id AND d.retired_at IS NULL
         WHERE h.created_at < @to AND (h.closed_at IS NULL OR h.closed_at >= @to)
         GROUP BY h.id
       )
       GROUP BY compound_id`,
    );
  const countsByScan = perHousehold(
    `FROM households h CROSS JOIN buildings b ON b.id = h.building_id
     AND b.compound_id IN (SELECT value FROM json_each(@compounds))`,
  );
  const countsByIndex = perHousehold(
    `FROM (SELECT value AS compound_id FROM json_each(@compounds)) c
     CROSS JOIN buildings b ON b.compound_id = c.compound_id
     CROSS JOIN households h ON h.building_id = b.id`,
  );
  const compoundCount = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM compounds');
  const open = db.prepare<[], { compound_id: number; kind: AlertKind; n: number }>(
    `SELECT b.compound_id, a.kind, count(*) AS n
     FROM alerts a CROSS JOIN households h ON h.id = a.household_id JOIN buildings b ON b.id = h.building_id
     WHERE a.status IN ${UNRESOLVED} AND a.kind IN ${ALL_KINDS}
     GROUP BY b.compound_id, a.kind`,
  );
  const households = db.prepare<
    [number],
    {
      id: number;
      name: string;
      room: string;
      building: string;
      state: RibbonState | null;
      state_at: number | null;
      last_report_at: number | null;
      last_seen_at: number | null;
      devices: number;
      online: number;
      open_kinds: string | null;
    }
  >(
    `SELECT h.id, h.name, h.room, b.name AS building, h.state, h.state_at,
            (SELECT max(e.received_at) FROM events e WHERE e.household_id = h.id) AS last_report_at,
            (SELECT max(d.last_seen_at) FROM devices d WHERE d.household_id = h.id AND d.retired_at IS NULL) AS last_seen_at,
            (SELECT count(*) FROM devices d WHERE d.household_id = h.id AND d.retired_at IS NULL) AS devices,
            (SELECT count(*) FROM devices d WHERE d.household_id = h.id AND d.retired_at IS NULL AND d.online = 1) AS online,
            (SELECT group_concat(a.kind) FROM alerts a WHERE a.household_id = h.id AND a.status <> 'resolved') AS open_kinds
     FROM buildings b CROSS JOIN households h ON h.building_id = b.id
     WHERE b.compound_id = ? AND h.closed_at IS NULL
     ORDER BY b.name, h.room, h.id`,
  );

  return {
    compoundCounts(compoundIds: readonly number[], from: number, to: number): CompoundCounts[] {
      // A quarter of the district or more: one pass over all households beats searching each.
      const all = compoundCount.get()?.n ?? 0;
      const counts = compoundIds.length * 4 >= all ? countsByScan : countsByIndex;
      return counts.all({ compounds: JSON.stringify(compoundIds), from, to }).map((r) => ({
        compoundId: r.compound_id,
        households: r.households,
        withWorkingDevice: r.working,
        heard: r.heard,
        devices: r.devices,
        devicesOffline: r.offline,
      }));
    },
    openAlerts(): Array<{ compoundId: number; kind: AlertKind; n: number }> {
      return open.all().map((r) => ({ compoundId: r.compound_id, kind: r.kind, n: r.n }));
    },
    households(compoundId: number): HouseholdFigures[] {
      return households.all(compoundId).map((r) => ({
        id: r.id,
        name: r.name,
        room: r.room,
        building: r.building,
        state: r.state,
        stateAt: r.state_at,
        lastHeardAt:
          r.last_report_at === null ? r.last_seen_at : Math.max(r.last_report_at, r.last_seen_at ?? r.last_report_at),
        devices: r.devices,
        devicesOnline: r.online,
        openAlerts: r.open_kinds === null ? [] : (r.open_kinds.split(',') as AlertKind[]),
      }));
    },
    explain(): string[] {
      const plan = (sql: string, params: unknown[]) =>
        (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail);
      return [
        ...plan(countsByScan.source, [{ compounds: '[1]', from: 0, to: 1 }]),
        ...plan(countsByIndex.source, [{ compounds: '[1]', from: 0, to: 1 }]),
        ...plan(open.source, []),
        ...plan(households.source, [1]),
      ];
    },
  };
}
