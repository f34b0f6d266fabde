import type { Db } from './db.js';
import type { AlertKind, ReportSource, RibbonState } from '../domain/ribbon.js';
import type { HouseholdCount, OpenedAlert, PressCount, ReportsStore, StoredReport } from '../app/ports.js';

/**
 * The daily reports (one row per compound and local day), and the reads a day's report is built
 * from. Every read is bounded by the day through an index, never a scan of events or alerts:
 * events through events_household (household_id, received_at), one range per household;
 * alerts through alerts_status (status, kind, opened_at), one range per status and kind.
 */

type ReportRow = { id: number; compound_id: number; day: string; data: string; created_at: number };

// Every status and kind spelled out so that alerts_status (status, kind, opened_at) serves a
// range on opened_at: 3 × 4 index ranges instead of a scan of all alerts.
const ALL_STATUSES = "('open', 'acknowledged', 'resolved')";
const UNRESOLVED = "('open', 'acknowledged')";
const ALL_KINDS = "('emergency', 'service', 'missed_checkin', 'device')";

export function createReportsStore(db: Db): ReportsStore {
  const insert = db.prepare<[number, string, string, number]>(
    'INSERT INTO reports (compound_id, day, data, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (compound_id, day) DO NOTHING',
  );
  const update = db.prepare<[string, number, string]>('UPDATE reports SET data = ? WHERE compound_id = ? AND day = ?');
  const get = db.prepare<[number, string], ReportRow>('SELECT * FROM reports WHERE compound_id = ? AND day = ?');
  const forDay = db.prepare<[string], ReportRow>('SELECT * FROM reports WHERE day = ? ORDER BY compound_id');

  // CROSS JOIN keeps households as the outer loop (SQLite never reorders it), so events are
  // reached only through events_household with the day's range.
  const presses = db.prepare<
    { from: number; to: number },
    { compound_id: number; source: ReportSource; state: RibbonState; n: number }
  >(
    `SELECT b.compound_id, e.source, e.state, count(*) AS n
     FROM buildings b JOIN households h ON h.building_id = b.id
     CROSS JOIN events e ON e.household_id = h.id AND e.received_at >= @from AND e.received_at < @to
     GROUP BY b.compound_id, e.source, e.state`,
  );
  const households = db.prepare<
    { from: number; to: number },
    { compound_id: number; households: number; checked_in: number }
  >(
    `SELECT b.compound_id, count(*) AS households,
            sum(EXISTS (SELECT 1 FROM events e WHERE e.household_id = h.id AND e.received_at >= @from AND e.received_at < @to)) AS checked_in
     FROM buildings b JOIN households h ON h.building_id = b.id
     WHERE h.created_at < @to AND (h.closed_at IS NULL OR h.closed_at >= @to)
     GROUP BY b.compound_id`,
  );
  const opened = db.prepare<
    { from: number; to: number },
    {
      compound_id: number;
      kind: AlertKind;
      opened_at: number;
      acknowledged_at: number | null;
      arrived_at: number | null;
    }
  >(
    `SELECT b.compound_id, a.kind, a.opened_at, a.acknowledged_at, a.arrived_at
     FROM alerts a CROSS JOIN households h ON h.id = a.household_id JOIN buildings b ON b.id = h.building_id
     WHERE a.status IN ${ALL_STATUSES} AND a.kind IN ${ALL_KINDS} AND a.opened_at >= @from AND a.opened_at < @to
     ORDER BY a.opened_at, a.id`,
  );
  const unresolved = db.prepare<[], { compound_id: number; n: number }>(
    `SELECT b.compound_id, count(*) AS n
     FROM alerts a CROSS JOIN households h ON h.id = a.household_id JOIN buildings b ON b.id = h.building_id
     WHERE a.status IN ${UNRESOLVED} AND a.kind IN ${ALL_KINDS}
     GROUP BY b.compound_id`,
  );

  const toReport = (r: ReportRow): StoredReport => ({
    id: r.id,
    compoundId: r.compound_id,
    day: r.day,
    data: JSON.parse(r.data) as unknown,
    createdAt: r.created_at,
  });

  return {
    /**
     * Writes the report of (compound, day): inserted the first time, its data replaced after
     * that (created_at stays the first run's). `created` says which; run it in a transaction.
     */
    upsert(compoundId: number, day: string, data: unknown, now: number): { created: boolean } {
      const json = JSON.stringify(data);
      if (insert.run(compoundId, day, json, now).changes === 1) return { created: true };
      update.run(json, compoundId, day);
      return { created: false };
    },
    get(compoundId: number, day: string): StoredReport | null {
      const row = get.get(compoundId, day);
      return row ? toReport(row) : null;
    },
    forDay(day: string): StoredReport[] {
      return forDay.all(day).map(toReport);
    },
    /** Events received in [from, to), by compound, source and colour. */
    presses(from: number, to: number): PressCount[] {
      return presses
        .all({ from, to })
        .map((r) => ({ compoundId: r.compound_id, source: r.source, state: r.state, n: r.n }));
    },
    /** Per compound: households registered before `to`, and those with any event in [from, to). */
    households(from: number, to: number): HouseholdCount[] {
      return households
        .all({ from, to })
        .map((r) => ({ compoundId: r.compound_id, households: r.households, checkedIn: r.checked_in }));
    },
    /** Alerts opened in [from, to), whatever their status now, oldest first. */
    openedBetween(from: number, to: number): OpenedAlert[] {
      return opened.all({ from, to }).map((r) => ({
        compoundId: r.compound_id,
        kind: r.kind,
        openedAt: r.opened_at,
        acknowledgedAt: r.acknowledged_at,
        arrivedAt: r.arrived_at,
      }));
    },
    /** Alerts not yet resolved, per compound (a snapshot: as of now, not of the day). */
    unresolvedByCompound(): Map<number, number> {
      return new Map(unresolved.all().map((r) => [r.compound_id, r.n]));
    },
    /** The query plans of the reads above (tests check that none scans events or alerts). */
    explain(): string[] {
      const plan = (sql: string, params: unknown[]) =>
        (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail);
      return [
        ...plan(presses.source, [{ from: 0, to: 1 }]),
        ...plan(households.source, [{ from: 0, to: 1 }]),
        ...plan(opened.source, [{ from: 0, to: 1 }]),
        ...plan(unresolved.source, []),
      ];
    },
  };
}
