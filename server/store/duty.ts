import type { Db } from './db.js';
import type { Tier } from '../domain/alert.js';
import { daysToMask, type DutyOverride, type DutyShift, maskToDays, onDutyAt } from '../domain/duty.js';
import type {
  DutyStore,
  NewCommunityDutyOverride,
  NewDutyOverride,
  NewDutyShift,
  StoredCommunityDutyOverride,
  StoredCommunityDutyRoster,
  StoredDutyOverride,
  StoredDutyRoster,
  StoredDutyShift,
} from '../app/ports.js';

type OverrideRow = {
  id: number;
  owner_id: number;
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

/** An override as stored, before it is named by its compound or community. */
type OwnedOverride = Omit<StoredDutyOverride, 'compoundId'> & { ownerId: number };

function toOverride(r: OverrideRow): OwnedOverride {
  return {
    id: r.id,
    ownerId: r.owner_id,
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
 * Who may answer on a community's roster (domain/duty.ts `mayBeOnCommunityRoster`): the whole
 * district's or this community's people, or a whole compound's person of one of its compounds
 * (looked up by the compound's primary key). Checked when read, as ELIGIBLE.
 */
const ELIGIBLE_IN_COMMUNITY = (p: string, community: string, tier: string) =>
  `${p}.retired_at IS NULL AND ${p}.tier = ${tier} AND (
     (${p}.compound_id IS NULL AND (${p}.community_id IS NULL OR ${p}.community_id = ${community}))
     OR (${p}.building_id IS NULL AND (SELECT pc.community_id FROM compounds pc WHERE pc.id = ${p}.compound_id) = ${community}))`;

/**
 * The red press's reads (DutyStore.onDuty), each through its index: the tier's shifts with the
 * people on them who may still answer (a shift whose people all left still says "a roster
 * exists"), then the tier's overrides in force at `now`. When the compound has no shifts for the
 * tier, the same two reads on its community's roster, reached through the compound's primary
 * key. Exported for the query-plan test.
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
  communityShifts: `SELECT r.timezone, s.id AS shift_id, s.days, s.start_min, s.end_min, p.id AS person_id,
            s.community_id AS community_id
       FROM compounds c
       JOIN community_duty_shifts s ON s.community_id = c.community_id
       JOIN community_duty_rosters r ON r.community_id = s.community_id
       LEFT JOIN community_duty_shift_people sp ON sp.shift_id = s.id
       LEFT JOIN people p ON p.id = sp.person_id AND ${ELIGIBLE_IN_COMMUNITY('p', 's.community_id', 's.tier')}
      WHERE c.id = ? AND s.tier = ?`,
  communityOverrides: `SELECT o.person_id, o.replacement_id, o.starts_at, o.ends_at, p.id IS NOT NULL AS replacement_ok
       FROM community_duty_overrides o
       LEFT JOIN people p ON p.id = o.replacement_id AND ${ELIGIBLE_IN_COMMUNITY('p', 'o.community_id', 'o.tier')}
      WHERE o.community_id = ? AND o.tier = ? AND o.ends_at > ? AND o.starts_at <= ?`,
} as const;

type ShiftRow = {
  timezone: string;
  shift_id: number;
  days: number;
  start_min: number;
  end_min: number;
  person_id: number | null;
};
type OverrideInForce = {
  person_id: number;
  replacement_id: number | null;
  starts_at: number;
  ends_at: number;
  replacement_ok: number;
};

/** Who is on duty from a tier's shift rows and the overrides in force (both read through an index). */
function onDutyFrom(rows: readonly ShiftRow[], inForce: readonly OverrideInForce[], now: number): number[] {
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
  const overrides: DutyOverride[] = inForce.map((o) => ({
    personId: o.person_id,
    replacementId: o.replacement_id !== null && o.replacement_ok === 1 ? o.replacement_id : null,
    from: o.starts_at,
    to: o.ends_at,
  }));
  return onDutyAt({ shifts: [...byShift.values()], overrides }, now, (rows[0] as ShiftRow).timezone);
}

/** One roster's tables: migration 9's per compound, or migration 13's per community. */
type Tables = { rosters: string; shifts: string; shiftPeople: string; overrides: string; key: string };

/** Reads and writes of one set of roster tables, by the owner's id (a compound's or a community's). */
function rosterTables(db: Db, t: Tables) {
  const zoneOf = db.prepare<[number], { timezone: string }>(`SELECT timezone FROM ${t.rosters} WHERE ${t.key} = ?`);
  const shiftsOf = db.prepare<[number], { id: number; tier: number; days: number; start_min: number; end_min: number }>(
    `SELECT id, tier, days, start_min, end_min FROM ${t.shifts} WHERE ${t.key} = ? ORDER BY tier, start_min, id`,
  );
  const peopleOfShifts = db.prepare<[number], { shift_id: number; person_id: number }>(
    `SELECT sp.shift_id, sp.person_id FROM ${t.shiftPeople} sp JOIN ${t.shifts} s ON s.id = sp.shift_id
      WHERE s.${t.key} = ?`,
  );
  const columns = `id, ${t.key} AS owner_id, tier, person_id, replacement_id, starts_at, ends_at, note, created_by, created_at`;
  const overridesOf = db.prepare<[number, number], OverrideRow>(
    `SELECT ${columns} FROM ${t.overrides} WHERE ${t.key} = ? AND ends_at > ? ORDER BY starts_at, id LIMIT 500`,
  );
  const upsertRoster = db.prepare<[number, string, number]>(
    `INSERT INTO ${t.rosters} (${t.key}, timezone, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (${t.key}) DO UPDATE SET timezone = excluded.timezone, updated_at = excluded.updated_at`,
  );
  const clearShifts = db.prepare<[number]>(`DELETE FROM ${t.shifts} WHERE ${t.key} = ?`);
  const insertShift = db.prepare<[number, number, number, number, number, number]>(
    `INSERT INTO ${t.shifts} (${t.key}, tier, days, start_min, end_min, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const insertShiftPerson = db.prepare<[number, number]>(
    `INSERT INTO ${t.shiftPeople} (shift_id, person_id) VALUES (?, ?)`,
  );
  const insertOverride = db.prepare<
    [number, number, number, number | null, number, number, string, string | null, number]
  >(
    `INSERT INTO ${t.overrides} (${t.key}, tier, person_id, replacement_id, starts_at, ends_at, note, created_by, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const overrideById = db.prepare<[number], OverrideRow>(`SELECT ${columns} FROM ${t.overrides} WHERE id = ?`);
  const deleteOverride = db.prepare<[number]>(`DELETE FROM ${t.overrides} WHERE id = ?`);

  return {
    roster(ownerId: number, now: number) {
      const people = new Map<number, number[]>();
      for (const r of peopleOfShifts.all(ownerId))
        people.set(r.shift_id, [...(people.get(r.shift_id) ?? []), r.person_id]);
      const shifts: StoredDutyShift[] = shiftsOf.all(ownerId).map((s) => ({
        id: s.id,
        tier: s.tier as Tier,
        days: maskToDays(s.days),
        start: hhmm(s.start_min),
        end: hhmm(s.end_min),
        personIds: (people.get(s.id) ?? []).sort((a, b) => a - b),
      }));
      return {
        timeZone: zoneOf.get(ownerId)?.timezone ?? null,
        shifts,
        overrides: overridesOf.all(ownerId, now).map(toOverride),
      };
    },
    replaceShifts(ownerId: number, timeZone: string, shifts: readonly NewDutyShift[], now: number): void {
      upsertRoster.run(ownerId, timeZone, now);
      clearShifts.run(ownerId);
      for (const s of shifts) {
        const id = Number(
          insertShift.run(ownerId, s.tier, daysToMask(s.days), minutesOf(s.start), minutesOf(s.end), now)
            .lastInsertRowid,
        );
        for (const personId of new Set(s.personIds)) insertShiftPerson.run(id, personId);
      }
    },
    addOverride(ownerId: number, o: Omit<NewDutyOverride, 'compoundId'>, now: number): number {
      return Number(
        insertOverride.run(ownerId, o.tier, o.personId, o.replacementId, o.from, o.to, o.note, o.createdBy, now)
          .lastInsertRowid,
      );
    },
    getOverride(id: number): OwnedOverride | null {
      const row = overrideById.get(id);
      return row ? toOverride(row) : null;
    },
    removeOverride(id: number): boolean {
      return deleteOverride.run(id).changes === 1;
    },
  };
}

const ofCompound = ({ ownerId, ...o }: OwnedOverride): StoredDutyOverride => ({ ...o, compoundId: ownerId });
const ofCommunity = ({ ownerId, ...o }: OwnedOverride): StoredCommunityDutyOverride => ({ ...o, communityId: ownerId });

/** Duty rosters over SQLite: per compound (migration 9) and per community (migration 13). */
export function createDutyStore(db: Db): DutyStore {
  const shiftsForTier = db.prepare<[number, number], ShiftRow>(ON_DUTY_SQL.shifts);
  const overridesInForce = db.prepare<[number, number, number, number], OverrideInForce>(ON_DUTY_SQL.overrides);
  const communityShiftsForTier = db.prepare<[number, number], ShiftRow & { community_id: number }>(
    ON_DUTY_SQL.communityShifts,
  );
  const communityOverridesInForce = db.prepare<[number, number, number, number], OverrideInForce>(
    ON_DUTY_SQL.communityOverrides,
  );
  const compounds = rosterTables(db, {
    rosters: 'duty_rosters',
    shifts: 'duty_shifts',
    shiftPeople: 'duty_shift_people',
    overrides: 'duty_overrides',
    key: 'compound_id',
  });
  const communities = rosterTables(db, {
    rosters: 'community_duty_rosters',
    shifts: 'community_duty_shifts',
    shiftPeople: 'community_duty_shift_people',
    overrides: 'community_duty_overrides',
    key: 'community_id',
  });

  return {
    onDuty(compoundId: number, tier: Tier, now: number): number[] | null {
      // The compound's own roster for the tier wins; without one, its community's (issue 14).
      const own = shiftsForTier.all(compoundId, tier);
      if (own.length > 0) return onDutyFrom(own, overridesInForce.all(compoundId, tier, now, now), now);
      const shared = communityShiftsForTier.all(compoundId, tier);
      const first = shared[0];
      if (first === undefined) return null;
      return onDutyFrom(shared, communityOverridesInForce.all(first.community_id, tier, now, now), now);
    },

    roster(compoundId: number, now: number): StoredDutyRoster {
      const r = compounds.roster(compoundId, now);
      return { compoundId, ...r, overrides: r.overrides.map(ofCompound) };
    },
    replaceShifts: compounds.replaceShifts,
    addOverride({ compoundId, ...o }: NewDutyOverride, now: number): number {
      return compounds.addOverride(compoundId, o, now);
    },
    getOverride(id: number): StoredDutyOverride | null {
      const o = compounds.getOverride(id);
      return o === null ? null : ofCompound(o);
    },
    removeOverride: compounds.removeOverride,

    communityRoster(communityId: number, now: number): StoredCommunityDutyRoster {
      const r = communities.roster(communityId, now);
      return { communityId, ...r, overrides: r.overrides.map(ofCommunity) };
    },
    replaceCommunityShifts: communities.replaceShifts,
    addCommunityOverride({ communityId, ...o }: NewCommunityDutyOverride, now: number): number {
      return communities.addOverride(communityId, o, now);
    },
    getCommunityOverride(id: number): StoredCommunityDutyOverride | null {
      const o = communities.getOverride(id);
      return o === null ? null : ofCommunity(o);
    },
    removeCommunityOverride: communities.removeOverride,
  };
}
