import type { Db } from './db.js';
import type { AlertKind, AlertStatus } from '../domain/ribbon.js';

export type Alert = {
  id: number;
  householdId: number;
  kind: AlertKind;
  status: AlertStatus;
  level: number;
  reason: string | null;
  reportCount: number;
  openedAt: number;
  acknowledgedAt: number | null;
  arrivedAt: number | null;
  resolvedAt: number | null;
};

type AlertRow = {
  id: number;
  household_id: number;
  kind: AlertKind;
  status: AlertStatus;
  level: number;
  reason: string | null;
  report_count: number;
  opened_at: number;
  acknowledged_at: number | null;
  arrived_at: number | null;
  resolved_at: number | null;
};

function toAlert(row: AlertRow): Alert {
  return {
    id: row.id,
    householdId: row.household_id,
    kind: row.kind,
    status: row.status,
    level: row.level,
    reason: row.reason,
    reportCount: row.report_count,
    openedAt: row.opened_at,
    acknowledgedAt: row.acknowledged_at,
    arrivedAt: row.arrived_at,
    resolvedAt: row.resolved_at,
  };
}

export type OpenedAlert = { id: number; opened: boolean; reportCount: number };

export function createAlertsStore(db: Db) {
  // One unresolved alert per household and kind (partial unique index alerts_one_open):
  // a further report joins it and is counted, never a second alert.
  const openOrJoin = db.prepare<
    [number, AlertKind, string | null, number | null, number | null, number, number, number | null, number],
    { id: number; report_count: number; opened_at: number }
  >(
    `INSERT INTO alerts (household_id, kind, status, level, reason, first_event_id, last_event_id, opened_at, updated_at)
     VALUES (?, ?, 'open', 1, ?, ?, ?, ?, ?)
     ON CONFLICT (household_id, kind) WHERE status <> 'resolved'
     DO UPDATE SET report_count = report_count + 1,
                   last_event_id = coalesce(?, last_event_id),
                   updated_at = ?
     RETURNING id, report_count, opened_at`,
  );
  const list = db.prepare<[{ status: string | null; kind: string | null; householdId: number | null }], AlertRow>(
    `SELECT * FROM alerts
     WHERE (@status IS NULL OR status = @status) AND (@kind IS NULL OR kind = @kind)
       AND (@householdId IS NULL OR household_id = @householdId)
     ORDER BY opened_at DESC, id DESC`,
  );

  return {
    openOrJoin(householdId: number, kind: AlertKind, reason: string | null, eventId: number | null, now: number): OpenedAlert {
      const row = openOrJoin.get(householdId, kind, reason, eventId, eventId, now, now, eventId, now);
      if (!row) throw new Error('alert upsert returned no row');
      return { id: row.id, opened: row.report_count === 1, reportCount: row.report_count };
    },
    list(filter: { status?: AlertStatus; kind?: AlertKind; householdId?: number } = {}): Alert[] {
      return list.all({ status: filter.status ?? null, kind: filter.kind ?? null, householdId: filter.householdId ?? null }).map(toAlert);
    },
  };
}

export type AlertsStore = ReturnType<typeof createAlertsStore>;
