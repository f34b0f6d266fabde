import type { Db } from './db.js';
import type { Tier } from '../domain/alert.js';
import { daysToMask, type DutyOverride, type DutyShift, maskToDays, onDutyAt } from '../domain/duty.js';
import type {
  DutyStore,
  NewDutyOverride,
  NewDutyShift,
  StoredDutyOverride,
  StoredDutyRoster,
  StoredDutyShift,
} from '../app/ports.js';

type OverrideRow = {
  id: number;
  compound_id: number;
  tier: number;
  person_id: number;
  replacement_id: number | null;
  starts_at: number;
  ends_at: number;
  note: string;
  created_by: string | null;
  created_at: number;
};

const hhmm = (minutes: number): string =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
const minutesOf = (text: string): number => Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5));

function toOverride(r: OverrideRow): StoredDutyOverride {
  return {
    id: r.id,
    compoundId: r.compound_id,
    tier: r.tier as Tier,
    personId: r.person_id,
    replacementId: r.replacement_id,
    from: r.starts_at,
    to: r.ends_at,
    note: r.note,
    createdBy: r.created_by,
    createdAt: r.created_at,
  };
}

/**
 * Who may answer, as SQL (domain/duty.ts `mayBeOnRoster`, plus not retired): checked again when
 * read, so a person retired or moved to another tier after being put on a roster is not on duty.
 */
const ELIGIBLE = (p: string, compound: string, tier: string) =>
  `${p}.retired_at IS NULL AND ${p}.tier = ${tier} AND (${p}.compound_id IS NULL OR (${p}.compound_id = ${compound} AND ${p}.building_id IS NULL))`;

/**
 * The red press's two reads (DutyStore.onDuty), each through its index: the tier's shifts with
 * the people on them who may still answer (a shift whose people all left still says "a roster
 * exists"), then the tier's overrides in force at `now`. Exported for the query-plan test.
 */
export const ON_DUTY_SQL = {
  shifts: `SELECT r.timezone, s.id AS shift_id, s.days, s.start_min, s.end_min, p.id AS person_id
       FROM duty_shifts s
       JOIN duty_rosters r ON r.compound_id = s.compound_id
       LEFT JOIN duty_shift_people sp ON sp.shift_id = s.id
       LEFT JOIN people p ON p.id = sp.person_id AND ${ELIGIBLE('p', 's.compound_id', 's.tier')}
      WHERE s.compound_id = ? AND s.tier = ?`,
  overrides: `SELECT o.person_id, o.replacement_id, o.starts_at, o.ends_at, p.id IS NOT NULL AS replacement_ok
       FROM duty_overrides o
       LEFT JOIN people p ON p.id = o.replacement_id AND ${ELIGIBLE('p', 'o.compound_id', 'o.tier')}
      WHERE o.compound_id = ? AND o.tier = ? AND o.ends_at > ? AND o.starts_at <= ?`,
} as const;

/** Duty rosters over SQLite (migration 9). */
export function createDutyStore(db: Db): DutyStore {
  const shiftsForTier = db.prepare<
    [number, number],
    { timezone: string; shift_id: number; days: number; start_min: number; end_min: number; person_id: number | null }
  >(ON_DUTY_SQL.shifts);
  const overridesInForce = db.prepare<
    [number, number, number, number],
    { person_id: number; replacement_id: number | null; starts_at: number; ends_at: number; replacement_ok: number }
  >(ON_DUTY_SQL.overrides);

  const zoneOf = db.prepare<[number], { timezone: string }>('SELECT timezone FROM duty_rosters WHERE compound_id = ?');
  const shiftsOf = db.prepare<[number], { id: number; tier: number; days: number; start_min: number; end_min: number }>(
    'SELECT id, tier, days, start_min, end_min FROM duty_shifts WHERE compound_id = ? ORDER BY tier, start_min, id',
  );
  const peopleOfShifts = db.prepare<[number], { shift_id: number; person_id: number }>(
    `SELECT sp.shift_id, sp.person_id FROM duty_shift_people sp JOIN duty_shifts s ON s.id = sp.shift_id
      WHERE s.compound_id = ?`,
  );
  const overridesOf = db.prepare<[number, number], OverrideRow>(
    'SELECT * FROM duty_overrides WHERE compound_id = ? AND ends_at > ? ORDER BY starts_at, id LIMIT 500',
  );
  const upsertRoster = db.prepare<[number, string, number]>(
    `INSERT INTO duty_rosters (compound_id, timezone, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (compound_id) DO UPDATE SET timezone = excluded.timezone, updated_at = excluded.updated_at`,
  );
  const clearShifts = db.prepare<[number]>('DELETE FROM duty_shifts WHERE compound_id = ?');
  const insertShift = db.prepare<[number, number, number, number, number, number]>(
    'INSERT INTO duty_shifts (compound_id, tier, days, start_min, end_min, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const insertShiftPerson = db.prepare<[number, number]>(
    'INSERT INTO duty_shift_people (shift_id, person_id) VALUES (?, ?)',
  );
  const insertOverride = db.prepare<
    [number, number, number, number | null, number, number, string, string | null, number]
  >(
    `INSERT INTO duty_overrides (compound_id, tier, person_id, replacement_id, starts_at, ends_at, note, created_by, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const overrideById = db.prepare<[number], OverrideRow>('SELECT * FROM duty_overrides WHERE id = ?');
  const deleteOverride = db.prepare<[number]>('DELETE FROM duty_overrides WHERE id = ?');

  return {
    onDuty(compoundId: number, tier: Tier, now: number): number[] | null {
      const rows = shiftsForTier.all(compoundId, tier);
      const first = rows[0];
      if (first === undefined) return null;
      const byShift = new Map<number, DutyShift & { people: number[] }>();
      for (const r of rows) {
        let shift = byShift.get(r.shift_id);
        if (shift === undefined) {
          shift = { days: maskToDays(r.days), start: hhmm(r.start_min), end: hhmm(r.end_min), people: [] };
          byShift.set(r.shift_id, shift);
        }
        if (r.person_id !== null) shift.people.push(r.person_id);
      }
      // A swap to someone who may no longer answer leaves nobody in that place (never the one
      // who asked for the swap: they may be away).
      const overrides: DutyOverride[] = overridesInForce.all(compoundId, tier, now, now).map((o) => ({
        personId: o.person_id,
        replacementId: o.replacement_id !== null && o.replacement_ok === 1 ? o.replacement_id : null,
        from: o.starts_at,
        to: o.ends_at,
      }));
      return onDutyAt({ shifts: [...byShift.values()], overrides }, now, first.timezone);
    },

    roster(compoundId: number, now: number): StoredDutyRoster {
      const people = new Map<number, number[]>();
      for (const r of peopleOfShifts.all(compoundId))
        people.set(r.shift_id, [...(people.get(r.shift_id) ?? []), r.person_id]);
      const shifts: StoredDutyShift[] = shiftsOf.all(compoundId).map((s) => ({
        id: s.id,
        tier: s.tier as Tier,
        days: maskToDays(s.days),
        start: hhmm(s.start_min),
        end: hhmm(s.end_min),
        personIds: (people.get(s.id) ?? []).sort((a, b) => a - b),
      }));
      return {
        compoundId,
        timeZone: zoneOf.get(compoundId)?.timezone ?? null,
        shifts,
        overrides: overridesOf.all(compoundId, now).map(toOverride),
      };
    },

    replaceShifts(compoundId: number, timeZone: string, shifts: readonly NewDutyShift[], now: number): void {
      upsertRoster.run(compoundId, timeZone, now);
      clearShifts.run(compoundId);
      for (const s of shifts) {
        const id = Number(
          insertShift.run(compoundId, s.tier, daysToMask(s.days), minutesOf(s.start), minutesOf(s.end), now)
            .lastInsertRowid,
        );
        for (const personId of new Set(s.personIds)) insertShiftPerson.run(id, personId);
      }
    },

    addOverride(o: NewDutyOverride, now: number): number {
      return Number(
        insertOverride.run(o.compoundId, o.tier, o.personId, o.replacementId, o.from, o.to, o.note, o.createdBy, now)
          .lastInsertRowid,
      );
    },

    getOverride(id: number): StoredDutyOverride | null {
      const row = overrideById.get(id);
      return row ? toOverride(row) : null;
    },

    removeOverride(id: number): boolean {
      return deleteOverride.run(id).changes === 1;
    },
  };
}
