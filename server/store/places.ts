import type { Db } from './db.js';
import { DEFAULT_TIME_ZONE } from '../../protocol/ribbon.js';
import type { RibbonState } from '../domain/ribbon.js';
import type { Building, Compound, Household, PlacesStore, ScheduleSettings, StoredSchedule } from '../app/ports.js';
import type { ClosedReason } from '../../protocol/live.js';

/** Compounds (小区), buildings (楼栋) and households (户). */

type HouseholdRow = {
  id: number;
  name: string;
  room: string;
  building_id: number;
  building: string;
  compound_id: number;
  compound: string;
  state: RibbonState | null;
  state_at: number | null;
  last_checkin_at: number | null;
  timezone: string;
  away_until: string | null;
  closed_at: number | null;
  closed_on: string | null;
  closed_reason: ClosedReason | null;
  closed_note: string | null;
  anonymised_at: number | null;
};

export const HOUSEHOLD_SELECT = `
  SELECT h.id, h.name, h.room, h.building_id, b.name AS building, c.id AS compound_id,
         c.name AS compound, h.state, h.state_at, h.last_checkin_at, h.timezone, h.away_until,
         h.closed_at, h.closed_on, h.closed_reason, h.closed_note, h.anonymised_at
  FROM households h JOIN buildings b ON b.id = h.building_id JOIN compounds c ON c.id = b.compound_id`;

/** Which households a list holds: the open ones (the default), the closed ones, or all. */
export type ClosedFilter = 'open' | 'closed' | 'all';

export function toHousehold(row: HouseholdRow): Household {
  return {
    id: row.id,
    name: row.name,
    room: row.room,
    buildingId: row.building_id,
    building: row.building,
    compoundId: row.compound_id,
    compound: row.compound,
    state: row.state,
    stateAt: row.state_at,
    lastCheckInAt: row.last_checkin_at,
    timezone: row.timezone,
    awayUntil: row.away_until,
    closed:
      row.closed_at === null
        ? null
        : {
            at: row.closed_at,
            on: row.closed_on ?? '',
            reason: row.closed_reason ?? 'other',
            note: row.closed_note ?? '',
          },
    anonymisedAt: row.anonymised_at,
  };
}

type ScheduleRow = {
  id: number;
  checkin_policy: string | null;
  quiet_hours: string | null;
  away_until: string | null;
  timezone: string;
  last_checkin_at: number | null;
  created_at: number;
  checkin_due_at: number | null;
  compound_id: number;
  compound_policy: string | null;
};

export function createPlacesStore(db: Db): PlacesStore {
  const findCompound = db.prepare<[string], Compound>('SELECT id, name FROM compounds WHERE name = ?');
  const insertCompound = db.prepare<[string, number]>('INSERT INTO compounds (name, created_at) VALUES (?, ?)');
  const findBuilding = db.prepare<[number, string], Building>(
    'SELECT id, compound_id AS compoundId, name FROM buildings WHERE compound_id = ? AND name = ?',
  );
  const insertBuilding = db.prepare<[number, string, number]>(
    'INSERT INTO buildings (compound_id, name, created_at) VALUES (?, ?, ?)',
  );
  const insertHousehold = db.prepare<[number, string, string, string, number]>(
    'INSERT INTO households (building_id, name, room, timezone, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const getHousehold = db.prepare<[number], HouseholdRow>(`${HOUSEHOLD_SELECT} WHERE h.id = ?`);
  const listHouseholds = db.prepare<[], HouseholdRow>(`${HOUSEHOLD_SELECT} ORDER BY c.name, b.name, h.room, h.id`);
  // Keyset pages by id; `compounds` NULL = all (an admin), else a JSON array of compound ids.
  // `closed`: 'open' (the wall's, the default), 'closed' or 'all'; `q`: a name or room containing it.
  const pageHouseholds = db.prepare<
    [
      {
        after: number;
        compounds: string | null;
        compound: number | null;
        building: number | null;
        state: string | null;
        closed: ClosedFilter;
        q: string | null;
        limit: number;
      },
    ],
    HouseholdRow
  >(
    `${HOUSEHOLD_SELECT} WHERE h.id > @after AND (@compounds IS NULL OR c.id IN (SELECT value FROM json_each(@compounds)))
       AND (@compound IS NULL OR c.id = @compound) AND (@building IS NULL OR b.id = @building)
       AND (@state IS NULL OR h.state = @state)
       AND (@closed = 'all' OR (@closed = 'open') = (h.closed_at IS NULL))
       AND (@q IS NULL OR instr(h.name, @q) > 0 OR instr(h.room, @q) > 0)
     ORDER BY h.id LIMIT @limit`,
  );
  const updateHousehold = db.prepare<[string, string, number]>('UPDATE households SET name = ?, room = ? WHERE id = ?');
  const householdIdsAt = db.prepare<[number, string, string], { id: number }>(
    'SELECT id FROM households WHERE building_id = ? AND room = ? AND name = ?',
  );
  const deleteHousehold = db.prepare<[number]>('DELETE FROM households WHERE id = ?');
  const deleteBuilding = db.prepare<[number]>('DELETE FROM buildings WHERE id = ?');
  const deleteCompound = db.prepare<[number]>('DELETE FROM compounds WHERE id = ?');
  const renameCompound = db.prepare<[string, number]>('UPDATE compounds SET name = ? WHERE id = ?');
  const renameBuilding = db.prepare<[string, number]>('UPDATE buildings SET name = ? WHERE id = ?');
  const listCompounds = db.prepare<[], Compound>('SELECT id, name FROM compounds ORDER BY name');
  const listBuildings = db.prepare<[], Building>(
    'SELECT id, compound_id AS compoundId, name FROM buildings ORDER BY compound_id, name',
  );
  const getCompound = db.prepare<[number], Compound>('SELECT id, name FROM compounds WHERE id = ?');
  // A closed household's check-in is never due again (issue 15): every write of the due time
  // below keeps it NULL once closed_at is set, whichever path (a press, a report, a schedule, the sweep).
  const recordReport = db.prepare<[RibbonState, number, number, number | null, number]>(
    // Reports are applied in receive order, so the latest report is the current ribbon.
    `UPDATE households SET state = ?, state_at = ?, last_checkin_at = ?,
       checkin_due_at = CASE WHEN closed_at IS NULL THEN ? END WHERE id = ?`,
  );
  // Read for every press: `+?`, not `?` (see "Statements run for every press" in db.ts; compiled
  // again at every run, it cost 25–35 µs a press instead of 2).
  const schedule = db.prepare<[number], ScheduleRow>(
    `SELECT h.id, h.checkin_policy, h.quiet_hours, h.away_until, h.timezone, h.last_checkin_at, h.created_at,
            h.checkin_due_at, b.compound_id, c.policy AS compound_policy
     FROM households h JOIN buildings b ON b.id = h.building_id JOIN compounds c ON c.id = b.compound_id WHERE h.id = +?`,
  );
  const setSchedule = db.prepare<[string | null, string | null, string | null, string, number | null, number]>(
    `UPDATE households SET checkin_policy = ?, quiet_hours = ?, away_until = ?, timezone = ?,
       checkin_due_at = CASE WHEN closed_at IS NULL THEN ? END WHERE id = ?`,
  );
  const setCheckInDue = db.prepare<[number | null, number]>(
    'UPDATE households SET checkin_due_at = CASE WHEN closed_at IS NULL THEN ? END WHERE id = ?',
  );
  const dueCheckIns = db.prepare<[number, number], { id: number; checkin_due_at: number }>(
    'SELECT id, checkin_due_at FROM households WHERE checkin_due_at IS NOT NULL AND checkin_due_at <= ? ORDER BY checkin_due_at LIMIT ?',
  );
  const claimCheckIn = db.prepare<[number | null, number, number]>(
    'UPDATE households SET checkin_due_at = CASE WHEN closed_at IS NULL THEN ? END WHERE id = ? AND checkin_due_at = ?',
  );
  const compoundPolicy = db.prepare<[number], { policy: string | null }>('SELECT policy FROM compounds WHERE id = ?');
  const setCompoundPolicy = db.prepare<[string | null, number]>('UPDATE compounds SET policy = ? WHERE id = ?');

  return {
    findOrCreateCompound(name: string, now: number): Compound {
      const found = findCompound.get(name);
      if (found) return found;
      const id = Number(insertCompound.run(name, now).lastInsertRowid);
      return { id, name };
    },
    findBuilding(compoundId: number, name: string): Building | null {
      return findBuilding.get(compoundId, name) ?? null;
    },
    findOrCreateBuilding(compoundId: number, name: string, now: number): Building {
      const found = findBuilding.get(compoundId, name);
      if (found) return found;
      const id = Number(insertBuilding.run(compoundId, name, now).lastInsertRowid);
      return { id, compoundId, name };
    },
    createHousehold(input: { buildingId: number; name: string; room: string; timezone?: string }, now: number): number {
      return Number(
        insertHousehold.run(input.buildingId, input.name, input.room, input.timezone ?? DEFAULT_TIME_ZONE, now)
          .lastInsertRowid,
      );
    },
    getHousehold(id: number): Household | null {
      const row = getHousehold.get(id);
      return row ? toHousehold(row) : null;
    },
    pageHouseholds(
      afterId: number,
      limit: number,
      compoundIds: readonly number[] | null,
      filter: { compoundId?: number; buildingId?: number; state?: RibbonState; closed?: ClosedFilter; q?: string } = {},
    ): Household[] {
      return pageHouseholds
        .all({
          after: afterId,
          compounds: compoundIds === null ? null : JSON.stringify(compoundIds),
          compound: filter.compoundId ?? null,
          building: filter.buildingId ?? null,
          state: filter.state ?? null,
          closed: filter.closed ?? 'open',
          q: filter.q === undefined || filter.q === '' ? null : filter.q,
          limit,
        })
        .map(toHousehold);
    },
    renameHousehold(id: number, name: string, room: string): void {
      updateHousehold.run(name, room, id);
    },
    householdIdsAt(buildingId: number, room: string, name: string): number[] {
      return householdIdsAt.all(buildingId, room, name).map((r) => r.id);
    },
    deleteHousehold(id: number): void {
      deleteHousehold.run(id);
    },
    deleteBuilding(id: number): void {
      deleteBuilding.run(id);
    },
    deleteCompound(id: number): void {
      deleteCompound.run(id);
    },
    renameCompound(id: number, name: string): void {
      renameCompound.run(name, id);
    },
    renameBuilding(id: number, name: string): void {
      renameBuilding.run(name, id);
    },
    listHouseholds(): Household[] {
      return listHouseholds.all().map(toHousehold);
    },
    listCompounds(): Compound[] {
      return listCompounds.all();
    },
    getCompound(id: number): Compound | null {
      return getCompound.get(id) ?? null;
    },
    listBuildings(): Building[] {
      return listBuildings.all();
    },
    /** A press or a person's report: the household's ribbon, a check-in, and the next due time. */
    recordReport(householdId: number, state: RibbonState, now: number, checkInDueAt: number | null): void {
      recordReport.run(state, now, now, checkInDueAt, householdId);
    },
    /** What the check-in rules need to know about a household (and its compound's policy). */
    schedule(householdId: number): StoredSchedule | null {
      const row = schedule.get(householdId);
      if (!row) return null;
      return {
        householdId: row.id,
        compoundId: row.compound_id,
        policy: row.checkin_policy === null ? null : (JSON.parse(row.checkin_policy) as unknown),
        quietHours: row.quiet_hours === null ? null : (JSON.parse(row.quiet_hours) as unknown),
        awayUntil: row.away_until,
        timezone: row.timezone,
        lastCheckInAt: row.last_checkin_at,
        createdAt: row.created_at,
        checkInDueAt: row.checkin_due_at,
        compoundPolicy: row.compound_policy === null ? null : (JSON.parse(row.compound_policy) as unknown),
      };
    },
    setSchedule(householdId: number, s: ScheduleSettings, checkInDueAt: number | null): void {
      setSchedule.run(
        s.policy === null ? null : JSON.stringify(s.policy),
        s.quietHours === null ? null : JSON.stringify(s.quietHours),
        s.awayUntil,
        s.timezone,
        checkInDueAt,
        householdId,
      );
    },
    setCheckInDue(householdId: number, dueAt: number | null): void {
      setCheckInDue.run(dueAt, householdId);
    },
    /** Households whose check-in is due by `now` (through the partial index households_checkin_due). */
    dueCheckIns(now: number, limit: number): Array<{ id: number; dueAt: number }> {
      return dueCheckIns.all(now, limit).map((r) => ({ id: r.id, dueAt: r.checkin_due_at }));
    },
    /** Moves a due check-in from `expected` to `next`; true only if this caller changed it. */
    claimCheckIn(householdId: number, expected: number, next: number | null): boolean {
      return claimCheckIn.run(next, householdId, expected).changes === 1;
    },
    compoundPolicy(compoundId: number): unknown {
      const row = compoundPolicy.get(compoundId);
      return row?.policy ? (JSON.parse(row.policy) as unknown) : null;
    },
    setCompoundPolicy(compoundId: number, policy: unknown): void {
      setCompoundPolicy.run(policy === null ? null : JSON.stringify(policy), compoundId);
    },
  };
}
