import { DEFAULT_TIME_ZONE } from '../../../protocol/ribbon.js';
import { mainlandMobile } from '../../domain/phone.js';
import { assertNever } from '../../domain/ribbon.js';
import type { Household, Person, Stores, User } from '../ports.js';
import { addHousehold } from '../provision.js';
import { setCheckInSchedule } from '../set-check-in-schedule.js';
import { formatCheckIn, formatQuietHours, storedPolicy, storedQuietHours } from './cells.js';
import { HOUSEHOLD_COLUMNS, type HouseholdColumn, PEOPLE_COLUMNS, readRosterFile } from './columns.js';
import type { Encoding, RosterProblem, RowError } from './format.js';
import { type HouseholdDraft, householdKey, readHouseholds } from './read-households.js';
import { type PersonDraft, readPeople } from './read-people.js';
import { createPlaceIndex, type PlacePlan } from './places.js';

// Import, step one: the file read and every row checked against the database. Nothing here
// writes: it runs on a read-only connection in a worker thread (server/api/roster-check-pool.ts),
// and write.ts then writes what it planned, in short transactions.

/** Errors reported per answer at most (a file of 20,000 bad rows would answer megabytes). */
export const MAX_REPORTED_ERRORS = 1000;

export type ImportReport = {
  /** No errors: the file was imported (or, in a dry run, would be). */
  ok: boolean;
  dryRun: boolean;
  encoding: Encoding;
  /** Data rows read (blank rows skipped). */
  rows: number;
  /** Records created, or in a dry run that would be; 0 when there are errors (nothing is written). */
  created: number;
  /** Rows that match a record already stored exactly: left as they are; 0 when there are errors. */
  unchanged: number;
  /** Header cells that name no known column. */
  ignoredColumns: string[];
  /** Every bad row, by line (at most MAX_REPORTED_ERRORS; `errorsOmitted` counts the rest). */
  errors: RowError[];
  errorsOmitted: number;
};

export type RosterKind = 'households' | 'people';

/** `place`: the community its compound is (or, new, is put) in; null when the row names none. */
export type PlannedHousehold = HouseholdDraft & { compoundId: number | null; place: PlacePlan | null };
export type PlannedPerson = Omit<Person, 'id'> & { line: number };
/** What a real import will create: plain data, so that it crosses from the worker thread. */
export type RosterPlan = { kind: 'households'; items: PlannedHousehold[] } | { kind: 'people'; items: PlannedPerson[] };

/** The report, and for a real import of a good file, what to write. */
export type CheckedRoster = { ok: true; report: ImportReport; plan: RosterPlan | null };

/**
 * Reads a roster file and checks every row against the database: the report of a dry run, or
 * the plan of a real import (null when a row is bad: nothing is written).
 * Permissions: an admin imports anywhere and may open compounds (households); staff only into
 * their compounds, and another compound's name is a row error that does not tell whether it
 * exists. Volunteers are refused before this (by the route).
 */
export function checkRoster(
  stores: Stores,
  user: User,
  kind: RosterKind,
  bytes: Uint8Array,
  dryRun: boolean,
): CheckedRoster | RosterProblem {
  switch (kind) {
    case 'households': {
      const file = readRosterFile(bytes, HOUSEHOLD_COLUMNS);
      if (!file.ok) return file;
      const read = readHouseholds(file.rows);
      const plan = planHouseholds(stores, user, read.households);
      return reportOn(file, read.errors, plan, dryRun, (items) => ({ kind, items }));
    }
    case 'people': {
      const file = readRosterFile(bytes, PEOPLE_COLUMNS);
      if (!file.ok) return file;
      const read = readPeople(file.rows);
      const plan = planPeople(stores, user, read.people);
      return reportOn(file, read.errors, plan, dryRun, (items) => ({ kind, items }));
    }
    default:
      return assertNever(kind);
  }
}

type Plan<T> = { creates: T[]; unchanged: number; errors: RowError[] };

function reportOn<T>(
  file: { encoding: Encoding; rows: unknown[]; ignoredColumns: string[] },
  readErrors: RowError[],
  p: Plan<T>,
  dryRun: boolean,
  toPlan: (items: T[]) => RosterPlan,
): CheckedRoster {
  // Sorted by line; a row's own problems keep their column order.
  const errors = [...readErrors, ...p.errors].sort((a, b) => a.line - b.line);
  const ok = errors.length === 0;
  const report: ImportReport = {
    ok,
    dryRun,
    encoding: file.encoding,
    rows: file.rows.length,
    created: ok ? p.creates.length : 0,
    unchanged: ok ? p.unchanged : 0,
    ignoredColumns: file.ignoredColumns,
    errors: errors.slice(0, MAX_REPORTED_ERRORS),
    errorsOmitted: Math.max(0, errors.length - MAX_REPORTED_ERRORS),
  };
  return { ok: true, report, plan: ok && !dryRun ? toPlan(p.creates) : null };
}

/** Another compound's name and an unknown one read the same to staff: existence does not leak. */
const notYours = (name: string) => `you do not look after a compound named "${name}"`;
/** A compound the user sees only through read-only scope entries (a leader who watches). */
const onlyWatched = (name: string) => `只读：您对小区"${name}"只有查看权限，不能导入 (read-only scope)`;

/** Why this user may not import into the compound (null: it may; an admin may anywhere). */
export function importRefusal(user: User, compoundId: number | null, name: string): string | null {
  if (user.role === 'admin') return null;
  if (compoundId === null || !user.compoundIds.includes(compoundId)) return notYours(name);
  return user.readOnlyCompoundIds.includes(compoundId) ? onlyWatched(name) : null;
}

function planHouseholds(stores: Stores, user: User, drafts: readonly HouseholdDraft[]): Plan<PlannedHousehold> {
  const compounds = new Map(stores.places.listCompounds().map((c) => [c.name, c.id]));
  const stored = new Map<string, Household[]>();
  for (const h of stores.places.listHouseholds()) {
    const key = householdKey(h);
    stored.set(key, [...(stored.get(key) ?? []), h]);
  }
  const plan: Plan<PlannedHousehold> = { creates: [], unchanged: 0, errors: [] };
  const places = createPlaceIndex(stores);
  /** A compound's community as the file's first row naming it gives it. */
  const placedBy = new Map<string, { line: number; key: string }>();
  for (const d of drafts) {
    const compoundId = compounds.get(d.compound) ?? null;
    const refused = importRefusal(user, compoundId, d.compound);
    if (refused !== null) {
      plan.errors.push({ line: d.line, field: 'compound', reason: refused });
      continue;
    }
    let place: PlacePlan | null = null;
    if (d.community !== null) {
      const resolved = places.resolve(d.street, d.community);
      if (!resolved.ok) {
        plan.errors.push({ line: d.line, field: 'community', reason: resolved.reason });
        continue;
      }
      place = resolved.plan;
      const conflict = compoundId === null ? null : places.conflict(compoundId, d.compound, place, d.line);
      if (conflict !== null) {
        plan.errors.push(conflict);
        continue;
      }
      const key = `${place.street}\u0000${place.community}`;
      const first = placedBy.get(d.compound);
      if (first !== undefined && first.key !== key) {
        plan.errors.push({
          line: d.line,
          field: 'community',
          reason: `小区"${d.compound}"在第 ${first.line} 行属于另一个社区；一个小区只属于一个社区`,
        });
        continue;
      }
      if (first === undefined) placedBy.set(d.compound, { line: d.line, key });
    }
    const matches = stored.get(householdKey(d)) ?? [];
    if (matches.length === 0) {
      plan.creates.push({ ...d, compoundId, place });
      continue;
    }
    // Import adds; it does not edit. The same household as stored is fine (an export read
    // back), a different one is an error rather than a silent duplicate or overwrite.
    const differences = matches.map((h) => differencesFrom(stores, h, d));
    if (differences.some((fields) => fields.length === 0)) {
      plan.unchanged += 1;
      continue;
    }
    const first = matches[0] as Household;
    plan.errors.push({
      line: d.line,
      field: differences[0]?.[0] ?? 'name',
      reason: `is already registered (household ${first.id}) with a different ${(differences[0] ?? []).join(', ')}; change it in the dashboard, or give this row as exported`,
    });
  }
  return plan;
}

/** A stored number as a row would give it now: its 11 digits, or as it is when it does not pass the rule. */
const asStored = (phone: string): string => mainlandMobile(phone) ?? phone;

/** The columns in which a stored household differs from a row (empty: the same). */
function differencesFrom(stores: Stores, h: Household, d: HouseholdDraft): HouseholdColumn[] {
  const s = stores.places.schedule(h.id);
  const out: HouseholdColumn[] = [];
  if (h.timezone !== (d.timezone ?? DEFAULT_TIME_ZONE)) out.push('timezone');
  if (formatCheckIn(storedPolicy(s?.policy ?? null)) !== formatCheckIn(d.checkin)) out.push('checkin');
  if (formatQuietHours(storedQuietHours(s?.quietHours ?? null)) !== formatQuietHours(d.quietHours))
    out.push('quiet_hours');
  const contactSet = (cs: ReadonlyArray<{ name: string; phone: string; relation: string }>) =>
    cs
      .map((c) => [c.name, c.phone, c.relation].join('\u0000'))
      .sort()
      .join('\u0001');
  // A number stored before the phone rule, as written then (138-0013-8000), is the same number as the row's 11 digits.
  const stored = stores.people.contacts(h.id).map((c) => ({ ...c, phone: asStored(c.phone) }));
  if (contactSet(stored) !== contactSet(d.contacts)) out.push('contact_name');
  return out;
}

/** One planned household with its schedule and contacts (write.ts runs it inside a chunk's transaction). */
export function createHousehold(stores: Stores, d: PlannedHousehold, now: number): number {
  // addHousehold finds or creates the compound (admins only get here with a new one) and building.
  const id = addHousehold(
    stores,
    {
      compound: d.compound,
      building: d.building,
      room: d.room,
      name: d.name,
      ...(d.timezone !== null ? { timezone: d.timezone } : {}),
    },
    now,
  );
  if (d.checkin !== null || d.quietHours !== null) {
    // The policy stays NULL when the row left it empty, so the default still applies later.
    const set = setCheckInSchedule(stores, id, {
      policy: d.checkin,
      timeZone: d.timezone ?? DEFAULT_TIME_ZONE,
      quietHours: d.quietHours,
      awayUntil: null,
    });
    // readHouseholds ran the domain's check on this very schedule.
    if (!set.ok) throw new Error(`line ${d.line}: a checked schedule was refused: ${set.reason}`);
  }
  for (const c of d.contacts)
    stores.people.addContact({ householdId: id, name: c.name, phone: c.phone, relation: c.relation }, now);
  return id;
}

function planPeople(stores: Stores, user: User, drafts: readonly PersonDraft[]): Plan<PlannedPerson> {
  const compounds = new Map(stores.places.listCompounds().map((c) => [c.name, c.id]));
  const buildings = new Map(stores.places.listBuildings().map((b) => [`${b.compoundId}\u0000${b.name}`, b.id]));
  const stored = new Map<string, Person>();
  for (const p of stores.people.list())
    stored.set(
      [
        p.name,
        p.phone === null ? '' : asStored(p.phone),
        p.role,
        p.compoundId ?? '',
        p.buildingId ?? '',
        p.communityId ?? '',
      ].join('\u0000'),
      p,
    );
  const plan: Plan<PlannedPerson> = { creates: [], unchanged: 0, errors: [] };
  const places = createPlaceIndex(stores);
  for (const d of drafts) {
    let compoundId: number | null = null;
    let buildingId: number | null = null;
    let communityId: number | null = null;
    if (d.compound !== null) {
      compoundId = compounds.get(d.compound) ?? null;
      const refused = importRefusal(user, compoundId, d.compound);
      if (refused !== null) {
        plan.errors.push({ line: d.line, field: 'compound', reason: refused });
        continue;
      }
      if (compoundId === null) {
        plan.errors.push({
          line: d.line,
          field: 'compound',
          reason: `no compound is named "${d.compound}" (import its households first)`,
        });
        continue;
      }
      if (d.building !== null) {
        buildingId = buildings.get(`${compoundId}\u0000${d.building}`) ?? null;
        if (buildingId === null) {
          plan.errors.push({ line: d.line, field: 'building', reason: `no building "${d.building}" in ${d.compound}` });
          continue;
        }
      }
    }
    // A community named: a compound's person's must be its compound's; without a compound, the
    // person is the whole community's (which must exist: a people roster creates no places).
    if (d.community !== null) {
      const resolved = places.resolve(d.street, d.community);
      const id = resolved.ok ? places.idOf(resolved.plan) : null;
      if (!resolved.ok || id === null) {
        plan.errors.push({
          line: d.line,
          field: 'community',
          reason: resolved.ok
            ? `没有名为"${d.street ?? ''}${d.community}"的社区（请先导入住户或新建地点）`
            : resolved.reason,
        });
        continue;
      }
      // Checked after the compound: another's compound is refused above without a word of its community.
      const conflict =
        compoundId === null ? null : places.conflict(compoundId, d.compound ?? '', resolved.plan, d.line);
      if (conflict !== null) {
        plan.errors.push(conflict);
        continue;
      }
      if (d.compound === null) communityId = id;
    }
    const person = {
      name: d.name,
      phone: d.phone,
      role: d.role,
      tier: d.tier,
      compoundId,
      buildingId,
      communityId,
    };
    const same = stored.get(
      [d.name, d.phone ?? '', d.role, compoundId ?? '', buildingId ?? '', communityId ?? ''].join('\u0000'),
    );
    if (same !== undefined) {
      if (same.tier === d.tier) plan.unchanged += 1;
      else
        plan.errors.push({
          line: d.line,
          field: 'tier',
          reason: `is already listed (person ${same.id}) at tier ${same.tier}; change it in the dashboard`,
        });
      continue;
    }
    if (compoundId === null && user.role !== 'admin') {
      plan.errors.push({
        line: d.line,
        field: 'compound',
        reason: 'is empty: only an admin adds community-wide people',
      });
      continue;
    }
    plan.creates.push({ ...person, line: d.line });
  }
  return plan;
}
