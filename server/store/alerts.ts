import type { Db } from './db.js';
import type { AlertView, Tier, TransitionRecord } from '../domain/alert.js';
import type { AlertKind, AlertStatus } from '../domain/ribbon.js';
import type { Alert, AlertFilter, AlertReach, AlertsStore, AlertTransition, DueAlert } from '../app/ports.js';

type AlertRow = {
  id: number;
  household_id: number;
  kind: AlertKind;
  status: AlertStatus;
  level: number;
  reason: string | null;
  report_count: number;
  first_event_id: number | null;
  last_event_id: number | null;
  opened_at: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  arrived_at: number | null;
  arrived_by: string | null;
  resolved_at: number | null;
  resolved_by: string | null;
  resolution_note: string | null;
  due_at: number | null;
  reminders_sent: number;
  call_due_at: number | null;
  reach: AlertReach | null;
};

function toAlert(row: AlertRow): Alert {
  return {
    id: row.id,
    householdId: row.household_id,
    kind: row.kind,
    status: row.status,
    level: row.level as Tier,
    reason: row.reason,
    reportCount: row.report_count,
    firstEventId: row.first_event_id,
    lastEventId: row.last_event_id,
    openedAt: row.opened_at,
    acknowledgedAt: row.acknowledged_at,
    acknowledgedBy: row.acknowledged_by,
    arrivedAt: row.arrived_at,
    arrivedBy: row.arrived_by,
    resolvedAt: row.resolved_at,
    resolvedBy: row.resolved_by,
    resolutionNote: row.resolution_note,
    dueAt: row.due_at,
    remindersSent: row.reminders_sent,
    callDueAt: row.call_due_at,
    reach: row.reach,
  };
}

/** Exactly the AlertView fields (a domain view may be a wider object). */
function viewFields(v: AlertView): AlertView {
  return {
    kind: v.kind,
    status: v.status,
    level: v.level,
    openedAt: v.openedAt,
    acknowledgedAt: v.acknowledgedAt,
    arrivedAt: v.arrivedAt,
    resolvedAt: v.resolvedAt,
    reportCount: v.reportCount,
    dueAt: v.dueAt,
    remindersSent: v.remindersSent,
    callDueAt: v.callDueAt,
  };
}

export function createAlertsStore(db: Db): AlertsStore {
  const insert = db.prepare<
    [
      number,
      AlertKind,
      AlertStatus,
      number,
      string | null,
      number,
      number | null,
      number | null,
      number,
      number,
      number | null,
      number | null,
    ]
  >(
    `INSERT INTO alerts (household_id, kind, status, level, reason, report_count, first_event_id, last_event_id, opened_at, updated_at, due_at, call_due_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const get = db.prepare<[number], AlertRow>('SELECT * FROM alerts WHERE id = ?');
  // Served by the partial unique index alerts_one_open.
  const findOpen = db.prepare<[number, AlertKind], AlertRow>(
    "SELECT * FROM alerts WHERE household_id = ? AND kind = ? AND status <> 'resolved'",
  );
  const update = db.prepare<
    [
      {
        id: number;
        status: AlertStatus;
        level: number;
        reason: string | null;
        report_count: number;
        last_event_id: number | null;
        acknowledged_at: number | null;
        acknowledged_by: string | null;
        arrived_at: number | null;
        arrived_by: string | null;
        resolved_at: number | null;
        resolved_by: string | null;
        resolution_note: string | null;
        due_at: number | null;
        reminders_sent: number;
        call_due_at: number | null;
        updated_at: number;
      },
    ]
  >(
    `UPDATE alerts SET status = @status, level = @level, reason = @reason, report_count = @report_count,
       last_event_id = @last_event_id, acknowledged_at = @acknowledged_at, acknowledged_by = @acknowledged_by,
       arrived_at = @arrived_at, arrived_by = @arrived_by, resolved_at = @resolved_at, resolved_by = @resolved_by,
       resolution_note = @resolution_note, due_at = @due_at, reminders_sent = @reminders_sent,
       call_due_at = @call_due_at, updated_at = @updated_at
     WHERE id = @id`,
  );
  const insertTransition = db.prepare<[number, string, string | null, string | null, number, number]>(
    'INSERT INTO alert_transitions (alert_id, action, by, note, level, at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const transitions = db.prepare<
    [number],
    {
      id: number;
      alert_id: number;
      action: TransitionRecord['action'];
      by: string | null;
      note: string | null;
      level: number;
      at: number;
    }
  >('SELECT * FROM alert_transitions WHERE alert_id = ? ORDER BY id');
  const list = db.prepare<[{ status: string | null; kind: string | null; householdId: number | null }], AlertRow>(
    `SELECT * FROM alerts
     WHERE (@status IS NULL OR status = @status) AND (@kind IS NULL OR kind = @kind)
       AND (@householdId IS NULL OR household_id = @householdId)
     ORDER BY opened_at DESC, id DESC`,
  );
  const page = db.prepare<
    [
      {
        status: string | null;
        kind: string | null;
        householdId: number | null;
        compounds: string | null;
        openedAt: number;
        id: number;
        limit: number;
      },
    ],
    AlertRow
  >(
    `SELECT a.* FROM alerts a JOIN households h ON h.id = a.household_id JOIN buildings b ON b.id = h.building_id
     WHERE (@status IS NULL OR a.status = @status) AND (@kind IS NULL OR a.kind = @kind)
       AND (@householdId IS NULL OR a.household_id = @householdId)
       AND (@compounds IS NULL OR b.compound_id IN (SELECT value FROM json_each(@compounds)))
       AND (a.opened_at < @openedAt OR (a.opened_at = @openedAt AND a.id < @id))
     ORDER BY a.opened_at DESC, a.id DESC LIMIT @limit`,
  );
  // The sweep: only what is due, through the partial indexes alerts_due and alerts_call_due.
  const due = db.prepare<
    [{ now: number; limit: number }],
    { id: number; due_at: number | null; call_due_at: number | null }
  >(
    `SELECT id, due_at, call_due_at FROM (
       SELECT id, due_at, call_due_at, due_at AS wake FROM alerts WHERE due_at IS NOT NULL AND due_at <= @now
       UNION
       SELECT id, due_at, call_due_at, call_due_at AS wake FROM alerts WHERE call_due_at IS NOT NULL AND call_due_at <= @now)
     GROUP BY id ORDER BY min(wake) LIMIT @limit`,
  );
  const claim = db.prepare<[{ id: number; due: number | null; call: number | null }]>(
    'UPDATE alerts SET updated_at = updated_at WHERE id = @id AND due_at IS @due AND call_due_at IS @call',
  );
  const moveOn = db.prepare<[{ id: number; due: number | null; call: number | null; lease: number }]>(
    `UPDATE alerts SET due_at = CASE WHEN due_at < @lease THEN @lease ELSE due_at END,
       call_due_at = CASE WHEN call_due_at < @lease THEN @lease ELSE call_due_at END
     WHERE id = @id AND due_at IS @due AND call_due_at IS @call`,
  );
  const setReach = db.prepare<[AlertReach, number, AlertReach]>(
    'UPDATE alerts SET reach = ? WHERE id = ? AND reach IS NOT ?',
  );

  return {
    get(id: number): Alert | null {
      const row = get.get(id);
      return row ? toAlert(row) : null;
    },
    findOpen(householdId: number, kind: AlertKind): Alert | null {
      const row = findOpen.get(householdId, kind);
      return row ? toAlert(row) : null;
    },
    /** Inserts a new alert; returns it as stored (no read back). */
    insert(householdId: number, view: AlertView, reason: string | null, eventId: number | null, now: number): Alert {
      const id = Number(
        insert.run(
          householdId,
          view.kind,
          view.status,
          view.level,
          reason,
          view.reportCount,
          eventId,
          eventId,
          view.openedAt,
          now,
          view.dueAt,
          view.callDueAt,
        ).lastInsertRowid,
      );
      return {
        ...viewFields(view),
        id,
        householdId,
        reason,
        firstEventId: eventId,
        lastEventId: eventId,
        acknowledgedBy: null,
        arrivedBy: null,
        resolvedBy: null,
        resolutionNote: null,
        reach: null,
      };
    },
    /**
     * Writes the domain's new view of an alert, with who did what (from its transition records);
     * returns the alert as now stored (no read back).
     */
    save(
      alert: Alert,
      view: AlertView,
      records: readonly TransitionRecord[],
      extra: { lastEventId?: number | null; reason?: string | null },
      now: number,
    ): Alert {
      const by = (action: TransitionRecord['action']) => records.find((r) => r.action === action)?.by;
      const resolvedRecord = records.find((r) => r.action === 'resolved' || r.action === 'cleared');
      const saved: Alert = {
        ...viewFields(view),
        id: alert.id,
        householdId: alert.householdId,
        reason: extra.reason !== undefined ? extra.reason : alert.reason,
        firstEventId: alert.firstEventId,
        lastEventId: extra.lastEventId ?? alert.lastEventId,
        acknowledgedBy: by('acknowledged') ?? alert.acknowledgedBy,
        arrivedBy: by('arrived') ?? alert.arrivedBy,
        resolvedBy: resolvedRecord ? (resolvedRecord.by ?? 'system') : alert.resolvedBy,
        resolutionNote: resolvedRecord ? resolvedRecord.note : alert.resolutionNote,
        reach: alert.reach,
      };
      update.run({
        id: saved.id,
        status: saved.status,
        level: saved.level,
        reason: saved.reason,
        report_count: saved.reportCount,
        last_event_id: saved.lastEventId,
        acknowledged_at: saved.acknowledgedAt,
        acknowledged_by: saved.acknowledgedBy,
        arrived_at: saved.arrivedAt,
        arrived_by: saved.arrivedBy,
        resolved_at: saved.resolvedAt,
        resolved_by: saved.resolvedBy,
        resolution_note: saved.resolutionNote,
        due_at: saved.dueAt,
        reminders_sent: saved.remindersSent,
        call_due_at: saved.callDueAt,
        updated_at: now,
      });
      return saved;
    },
    recordTransitions(alertId: number, records: readonly TransitionRecord[], at: number): void {
      for (const r of records) insertTransition.run(alertId, r.action, r.by, r.note, r.level, at);
    },
    transitions(alertId: number): AlertTransition[] {
      return transitions.all(alertId).map((r) => ({
        id: r.id,
        alertId: r.alert_id,
        action: r.action,
        by: r.by,
        note: r.note,
        level: r.level as Tier,
        at: r.at,
      }));
    },
    list(filter: AlertFilter = {}): Alert[] {
      return list
        .all({ status: filter.status ?? null, kind: filter.kind ?? null, householdId: filter.householdId ?? null })
        .map(toAlert);
    },
    /** Newest first after position `before`; `compoundIds` null = every compound. */
    page(
      filter: AlertFilter & { compoundIds: readonly number[] | null },
      before: { openedAt: number; id: number } | null,
      limit: number,
    ): Alert[] {
      return page
        .all({
          status: filter.status ?? null,
          kind: filter.kind ?? null,
          householdId: filter.householdId ?? null,
          compounds: filter.compoundIds === null ? null : JSON.stringify(filter.compoundIds),
          openedAt: before?.openedAt ?? Number.MAX_SAFE_INTEGER,
          id: before?.id ?? Number.MAX_SAFE_INTEGER,
          limit,
        })
        .map(toAlert);
    },
    /** Alerts whose next step or round of calls is due by `now`, oldest first (at most `limit`). */
    due(now: number, limit: number): DueAlert[] {
      return due.all({ now, limit }).map((r) => ({ id: r.id, dueAt: r.due_at, callDueAt: r.call_due_at }));
    },
    /**
     * Claims a due alert: true only if its due times are still those selected (another sweep,
     * or a person acting meanwhile, makes it false). With a `lease`, the due times before it
     * move on to it (a step that failed is tried again then, not every second).
     */
    claimDue(expected: DueAlert, lease: number | null = null): boolean {
      const key = { id: expected.id, due: expected.dueAt, call: expected.callDueAt };
      return (lease === null ? claim.run(key) : moveOn.run({ ...key, lease })).changes === 1;
    },
    setReach(id: number, reach: AlertReach): boolean {
      return setReach.run(reach, id, reach).changes === 1;
    },
  };
}
