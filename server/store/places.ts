import type { Db } from './db.js';
import type { RibbonState } from '../domain/ribbon.js';

/** Compounds (小区), buildings (楼栋) and households (户). */

export type Compound = { id: number; name: string };
export type Building = { id: number; compoundId: number; name: string };
export type Household = {
  id: number;
  name: string;
  room: string;
  buildingId: number;
  building: string;
  compoundId: number;
  compound: string;
  state: RibbonState | null;
  stateAt: number | null;
  lastCheckInAt: number | null;
  timezone: string;
};

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
};

const HOUSEHOLD_SELECT = `
  SELECT h.id, h.name, h.room, h.building_id, b.name AS building, c.id AS compound_id,
         c.name AS compound, h.state, h.state_at, h.last_checkin_at, h.timezone
  FROM households h JOIN buildings b ON b.id = h.building_id JOIN compounds c ON c.id = b.compound_id`;

function toHousehold(row: HouseholdRow): Household {
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
  };
}

export function createPlacesStore(db: Db) {
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
  const listCompounds = db.prepare<[], Compound>('SELECT id, name FROM compounds ORDER BY name');
  const recordReport = db.prepare<[RibbonState, number, number, number]>(
    // Reports are applied in receive order, so the latest report is the current ribbon.
    'UPDATE households SET state = ?, state_at = ?, last_checkin_at = ? WHERE id = ?',
  );

  return {
    findOrCreateCompound(name: string, now: number): Compound {
      const found = findCompound.get(name);
      if (found) return found;
      const id = Number(insertCompound.run(name, now).lastInsertRowid);
      return { id, name };
    },
    findOrCreateBuilding(compoundId: number, name: string, now: number): Building {
      const found = findBuilding.get(compoundId, name);
      if (found) return found;
      const id = Number(insertBuilding.run(compoundId, name, now).lastInsertRowid);
      return { id, compoundId, name };
    },
    createHousehold(input: { buildingId: number; name: string; room: string; timezone?: string }, now: number): number {
      return Number(
        insertHousehold.run(input.buildingId, input.name, input.room, input.timezone ?? 'Asia/Shanghai', now)
          .lastInsertRowid,
      );
    },
    getHousehold(id: number): Household | null {
      const row = getHousehold.get(id);
      return row ? toHousehold(row) : null;
    },
    listHouseholds(): Household[] {
      return listHouseholds.all().map(toHousehold);
    },
    listCompounds(): Compound[] {
      return listCompounds.all();
    },
    /** A press or a person's report: the household's ribbon, and a check-in. */
    recordReport(householdId: number, state: RibbonState, now: number): void {
      recordReport.run(state, now, now, householdId);
    },
  };
}

export type PlacesStore = ReturnType<typeof createPlacesStore>;
