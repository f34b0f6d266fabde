import type { PersonalDataStore, StoredRow } from '../app/personal-data.js';
import type { Db } from './db.js';

/** The name a household takes when its personal data is removed (anonymise). */
export const ANONYMISED_NAME = '已注销住户';

/**
 * What is stored about one household or one person, read for an export, and the anonymisation
 * of a closed household (app/personal-data.ts; docs/privacy.md). Rows come back as stored
 * (snake_case columns), the use case shapes them; no secret or hash is ever selected.
 */
export function createPersonalDataStore(db: Db): PersonalDataStore {
  const all = (sql: string, ...params: unknown[]) => db.prepare(sql).all(...params) as StoredRow[];
  const one = (sql: string, ...params: unknown[]) => (db.prepare(sql).get(...params) as StoredRow | undefined) ?? null;
  const householdRow = `SELECT h.id, h.name, h.room, b.name AS building, c.name AS compound, h.state, h.state_at,
      h.last_checkin_at, h.timezone, h.checkin_policy, h.quiet_hours, h.away_until, h.created_at,
      h.closed_at, h.closed_on, h.closed_reason, h.closed_note, h.anonymised_at, c.id AS compound_id
    FROM households h JOIN buildings b ON b.id = h.building_id JOIN compounds c ON c.id = b.compound_id
    WHERE h.id = ?`;

  return {
    household(id) {
      return one(householdRow, id);
    },
    householdRecords(id) {
      const alerts = all(
        `SELECT id, kind, status, level, reason, report_count, opened_at, acknowledged_at, acknowledged_by,
           arrived_at, arrived_by, resolved_at, resolved_by, resolution_note
         FROM alerts WHERE household_id = ? ORDER BY id`,
        id,
      );
      const transitions = all(
        `SELECT t.alert_id, t.action, t.by, t.note, t.level, t.at FROM alert_transitions t
         JOIN alerts a ON a.id = t.alert_id WHERE a.household_id = ? ORDER BY t.id`,
        id,
      );
      return {
        contacts: all(
          'SELECT id, name, phone, relation, created_at FROM contacts WHERE household_id = ? ORDER BY id',
          id,
        ),
        devices: all(
          `SELECT id, online, battery, battery_at, last_seen_at, heartbeat_every_sec, created_at, retired_at
           FROM devices WHERE household_id = ? ORDER BY created_at, id`,
          id,
        ),
        events: all(
          `SELECT id, source, device_id, state, seq, boot, device_at, battery, reported_by, note, received_at, observed_at
           FROM events WHERE household_id = ? ORDER BY received_at, id`,
          id,
        ),
        visits: all(
          'SELECT id, seen, by, note, at, received_at FROM visits WHERE household_id = ? ORDER BY at, id',
          id,
        ),
        alerts: alerts.map((a) => ({ ...a, transitions: transitions.filter((t) => t.alert_id === a.id) })),
      };
    },
    person(id) {
      return one(
        `SELECT p.id, p.name, p.phone, p.role, p.tier, c.name AS compound, b.name AS building, ar.name AS community,
           p.created_at, p.retired_at
         FROM people p LEFT JOIN compounds c ON c.id = p.compound_id LEFT JOIN buildings b ON b.id = p.building_id
           LEFT JOIN areas ar ON ar.id = p.community_id
         WHERE p.id = ?`,
        id,
      );
    },
    personRecords(id) {
      return {
        logins: all(
          'SELECT id, username, display_name, role, created_at, disabled_at FROM users WHERE person_id = ? ORDER BY id',
          id,
        ),
        dutyShifts: [
          ...all(
            `SELECT 'compound' AS roster, c.name AS place, s.tier, s.days, s.start_min, s.end_min, s.created_at
             FROM duty_shift_people sp JOIN duty_shifts s ON s.id = sp.shift_id JOIN compounds c ON c.id = s.compound_id
             WHERE sp.person_id = ? ORDER BY s.id`,
            id,
          ),
          ...all(
            `SELECT 'community' AS roster, ar.name AS place, s.tier, s.days, s.start_min, s.end_min, s.created_at
             FROM community_duty_shift_people sp JOIN community_duty_shifts s ON s.id = sp.shift_id
               JOIN areas ar ON ar.id = s.community_id
             WHERE sp.person_id = ? ORDER BY s.id`,
            id,
          ),
        ],
        dutyOverrides: [
          ...all(
            `SELECT 'compound' AS roster, c.name AS place, o.tier, o.person_id, o.replacement_id, o.starts_at, o.ends_at,
               o.note, o.created_by, o.created_at
             FROM duty_overrides o JOIN compounds c ON c.id = o.compound_id
             WHERE o.person_id = ? OR o.replacement_id = ? ORDER BY o.id`,
            id,
            id,
          ),
          ...all(
            `SELECT 'community' AS roster, ar.name AS place, o.tier, o.person_id, o.replacement_id, o.starts_at, o.ends_at,
               o.note, o.created_by, o.created_at
             FROM community_duty_overrides o JOIN areas ar ON ar.id = o.community_id
             WHERE o.person_id = ? OR o.replacement_id = ? ORDER BY o.id`,
            id,
            id,
          ),
        ],
        // On request only (a scan of the outbox is fine here, never on the press's path).
        notifications: all(
          `SELECT o.id, o.alert_id, o.event, o.status, ch.kind AS channel, o.created_at, o.sent_at, r.value AS recipient
           FROM outbox o JOIN json_each(o.recipients) r LEFT JOIN channels ch ON ch.id = o.channel_id
           WHERE json_extract(r.value, '$.personId') = ? ORDER BY o.id`,
          id,
        ),
      };
    },
    anonymise(id, now) {
      return db
        .transaction(() => {
          const h = one('SELECT closed_at, anonymised_at FROM households WHERE id = ?', id);
          if (h === null) return 'notFound' as const;
          if (h.closed_at === null) return 'notClosed' as const;
          // Idempotent: a second request changes nothing (and the first one's time is kept).
          if (h.anonymised_at !== null) return 'already' as const;
          db.prepare('UPDATE households SET name = ?, closed_note = NULL, anonymised_at = ? WHERE id = ?').run(
            ANONYMISED_NAME,
            now,
            id,
          );
          db.prepare('DELETE FROM contacts WHERE household_id = ?').run(id);
          // Free text that may name the person (a volunteer's note, an outcome): cleared. Who
          // acted (volunteers' names) and when stay: the response record.
          db.prepare('UPDATE events SET note = NULL WHERE household_id = ? AND note IS NOT NULL').run(id);
          db.prepare('UPDATE visits SET note = NULL WHERE household_id = ? AND note IS NOT NULL').run(id);
          db.prepare(
            'UPDATE alerts SET resolution_note = NULL WHERE household_id = ? AND resolution_note IS NOT NULL',
          ).run(id);
          db.prepare(
            `UPDATE alert_transitions SET note = NULL
             WHERE note IS NOT NULL AND alert_id IN (SELECT id FROM alerts WHERE household_id = ?)`,
          ).run(id);
          // The notifications sent about it carried its name, address and its family's phones.
          db.prepare(
            `UPDATE outbox SET payload = '{}', recipients = '[]'
             WHERE status <> 'pending' AND alert_id IN (SELECT id FROM alerts WHERE household_id = ? AND status = 'resolved')`,
          ).run(id);
          return 'anonymised' as const;
        })
        .immediate();
    },
  };
}
