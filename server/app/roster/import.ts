import { DEFAULT_TIME_ZONE } from '../../../protocol/ribbon.js';
import { addressKey, addressText } from '../../domain/address.js';
import { assertNever } from '../../domain/ribbon.js';
import type { Household, Person, Stores, User } from '../ports.js';
import { addHousehold } from '../provision.js';
import { setCheckInSchedule } from '../set-check-in-schedule.js';
import type { CsvRecord } from './csv.js';
import { HOUSEHOLD_COLUMNS, PEOPLE_COLUMNS, readRecords } from './columns.js';
import { type Encoding, type RosterProblem, type RowError, rowError, type Said, said } from './format.js';
import { type HouseholdDraft, readHouseholds } from './read-households.js';
import {
  asStored,
  changesFrom,
  type PlannedPersonUpdate,
  type PlannedUpdate,
  personTierChange,
  type ReportedChange,
} from './updates.js';
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
  /** The file as sent: CSV (its encoding above) or an .xlsx workbook (its first sheet). */
  format: RosterFormat;
  /** Records created, or in a dry run that would be; 0 when there are errors (nothing is written). */
  created: number;
  /** Households updated (a row at an open household's address that differs from it), or that would be; 0 when there are errors. */
  updated: number;
  /** Each update in words, by line ("姓名变更：张三 → 张四"); empty when there are errors. */
  changes: ReportedChange[];
  /** Rows that match a record already stored exactly: left as they are; 0 when there are errors. */
  unchanged: number;
  /** Header cells that name no known column. */
  ignoredColumns: string[];
  /** Every bad row, by line (at most MAX_REPORTED_ERRORS; `errorsOmitted` counts the rest). */
  errors: RowError[];
  errorsOmitted: number;
};

export type RosterKind = 'households' | 'people';
export type RosterFormat = 'csv' | 'xlsx';
/** A file's records, read from CSV or from a workbook's first sheet (read-file.ts), before any check. */
export type RosterRecords = { ok: true; records: CsvRecord[]; encoding: Encoding; format: RosterFormat };

/** `place`: the community its compound is (or, new, is put) in; null when the row names none. */
export type PlannedHousehold = HouseholdDraft & { compoundId: number | null; place: PlacePlan | null };
export type PlannedPerson = Omit<Person, 'id'> & { line: number };
/** What a real import will create: plain data, so that it crosses from the worker thread. */
export type RosterPlan =
  | { kind: 'households'; items: PlannedHousehold[]; updates: PlannedUpdate[] }
  | { kind: 'people'; items: PlannedPerson[]; updates: PlannedPersonUpdate[] };

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
  records: RosterRecords,
  dryRun: boolean,
): CheckedRoster | RosterProblem {
  switch (kind) {
    case 'households': {
      const file = readRecords(records, HOUSEHOLD_COLUMNS);
      if (!file.ok) return file;
      const read = readHouseholds(file.rows);
      const plan = planHouseholds(stores, user, read.households);
      return reportOn({ ...file, format: records.format }, read.errors, plan, dryRun, (items) => ({
        kind,
        items,
        updates: plan.updates,
      }));
    }
    case 'people': {
      const file = readRecords(records, PEOPLE_COLUMNS);
      if (!file.ok) return file;
      const read = readPeople(file.rows);
      const plan = planPeople(stores, user, read.people);
      return reportOn({ ...file, format: records.format }, read.errors, plan, dryRun, (items) => ({
        kind,
        items,
        updates: plan.updates,
      }));
    }
    default:
      return assertNever(kind);
  }
}

type Plan<T> = { creates: T[]; unchanged: number; errors: RowError[] };
type HouseholdPlan = Plan<PlannedHousehold> & { updates: PlannedUpdate[] };

function reportOn<T>(
  file: { encoding: Encoding; format: RosterFormat; rows: unknown[]; ignoredColumns: string[] },
  readErrors: RowError[],
  p: Plan<T> & { updates: ReadonlyArray<PlannedUpdate | PlannedPersonUpdate> },
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
    format: file.format,
    rows: file.rows.length,
    created: ok ? p.creates.length : 0,
    updated: ok ? p.updates.length : 0,
    changes: ok
      ? p.updates.map(({ line, fields, text, textEn, ...u }) => ({
          line,
          ...('householdId' in u ? { householdId: u.householdId } : { personId: u.personId }),
          fields,
          text,
          textEn,
        }))
      : [],
    unchanged: ok ? p.unchanged : 0,
    ignoredColumns: file.ignoredColumns,
    errors: errors.slice(0, MAX_REPORTED_ERRORS),
    errorsOmitted: Math.max(0, errors.length - MAX_REPORTED_ERRORS),
  };
  return { ok: true, report, plan: ok && !dryRun ? toPlan(p.creates) : null };
}

/** Another compound's name and an unknown one read the same to staff: existence does not leak. */
const notYours = (name: string) =>
  said(`您没有负责名为"${name}"的小区`, `you do not look after a compound named "${name}"`);
/** A compound the user sees only through read-only scope entries (a leader who watches). */
const onlyWatched = (name: string) =>
  said(
    `只读：您对小区"${name}"只有查看权限，不能导入`,
    `read-only: you may only view compound "${name}", not import into it`,
  );

/** Why this user may not import into the compound (null: it may; an admin may anywhere). */
export function importRefusal(user: User, compoundId: number | null, name: string): Said | null {
  if (user.role === 'admin') return null;
  if (compoundId === null || !user.compoundIds.includes(compoundId)) return notYours(name);
  return user.readOnlyCompoundIds.includes(compoundId) ? onlyWatched(name) : null;
}

function planHouseholds(stores: Stores, user: User, drafts: readonly HouseholdDraft[]): HouseholdPlan {
  const compounds = new Map(stores.places.listCompounds().map((c) => [c.name, c.id]));
  // Open households by address (domain/address.ts); a closed one has none (its room may be let again).
  const stored = new Map<string, Household[]>();
  for (const h of stores.places.listHouseholds()) {
    if (h.closed !== null) continue;
    const key = addressKey(h);
    stored.set(key, [...(stored.get(key) ?? []), h]);
  }
  const plan: HouseholdPlan = { creates: [], updates: [], unchanged: 0, errors: [] };
  const places = createPlaceIndex(stores);
  /** A compound's community as the file's first row naming it gives it. */
  const placedBy = new Map<string, { line: number; key: string }>();
  /** The first line of each address in the file: two households at one address is a mistake in the file. */
  const addressLine = new Map<string, number>();
  for (const d of drafts) {
    const compoundId = compounds.get(d.compound) ?? null;
    const refused = importRefusal(user, compoundId, d.compound);
    if (refused !== null) {
      plan.errors.push(rowError(d.line, 'compound', refused));
      continue;
    }
    let place: PlacePlan | null = null;
    if (d.community !== null) {
      const resolved = places.resolve(d.street, d.community);
      if (!resolved.ok) {
        plan.errors.push(rowError(d.line, 'community', resolved));
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
        plan.errors.push(
          rowError(
            d.line,
            'community',
            said(
              `小区"${d.compound}"在第 ${first.line} 行属于另一个社区；一个小区只属于一个社区`,
              `compound "${d.compound}" is in another community on line ${first.line}; a compound is in one community`,
            ),
          ),
        );
        continue;
      }
      if (first === undefined) placedBy.set(d.compound, { line: d.line, key });
    }
    const address = addressKey(d);
    const earlier = addressLine.get(address);
    if (earlier !== undefined) {
      plan.errors.push(
        rowError(
          d.line,
          'name',
          said(
            `与第 ${earlier} 行是同一地址（${addressText(d)}），一个地址只登记一户；同一户的后续行姓名要相同`,
            `the same address (${addressText(d)}) as line ${earlier}: one household an address; a household's further rows repeat its name`,
          ),
        ),
      );
      continue;
    }
    addressLine.set(address, d.line);
    const matches = stored.get(address) ?? [];
    if (matches.length === 0) {
      plan.creates.push({ ...d, compoundId, place });
      continue;
    }
    // The same household as stored is unchanged (an export read back); one that differs is an
    // update of the household at that address (the one of that name, if an old import left two).
    const changes = matches.map((h) => ({ h, ...changesFrom(stores, h, d) }));
    if (changes.some((c) => c.fields.length === 0)) {
      plan.unchanged += 1;
      continue;
    }
    const c = changes.find((x) => x.h.name === d.name) ?? (changes[0] as (typeof changes)[number]);
    plan.updates.push({
      line: d.line,
      householdId: c.h.id,
      fields: c.fields,
      text: c.text,
      textEn: c.textEn,
      name: d.name,
      was: c.h.name,
      draft: d,
    });
  }
  return plan;
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

function planPeople(
  stores: Stores,
  user: User,
  drafts: readonly PersonDraft[],
): Plan<PlannedPerson> & { updates: PlannedPersonUpdate[] } {
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
  const plan: Plan<PlannedPerson> & { updates: PlannedPersonUpdate[] } = {
    creates: [],
    updates: [],
    unchanged: 0,
    errors: [],
  };
  const places = createPlaceIndex(stores);
  for (const d of drafts) {
    let compoundId: number | null = null;
    let buildingId: number | null = null;
    let communityId: number | null = null;
    if (d.compound !== null) {
      compoundId = compounds.get(d.compound) ?? null;
      const refused = importRefusal(user, compoundId, d.compound);
      if (refused !== null) {
        plan.errors.push(rowError(d.line, 'compound', refused));
        continue;
      }
      if (compoundId === null) {
        plan.errors.push(
          rowError(
            d.line,
            'compound',
            said(
              `没有名为"${d.compound}"的小区（请先导入它的住户）`,
              `no compound is named "${d.compound}" (import its households first)`,
            ),
          ),
        );
        continue;
      }
      if (d.building !== null) {
        buildingId = buildings.get(`${compoundId}\u0000${d.building}`) ?? null;
        if (buildingId === null) {
          plan.errors.push(
            rowError(
              d.line,
              'building',
              said(`${d.compound}没有楼栋"${d.building}"`, `no building "${d.building}" in ${d.compound}`),
            ),
          );
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
        plan.errors.push(
          rowError(
            d.line,
            'community',
            resolved.ok
              ? said(
                  `没有名为"${d.street ?? ''}${d.community}"的社区（请先导入住户或新建地点）`,
                  `no community is named "${d.street ?? ''}${d.community}" (import households or add the place first)`,
                )
              : resolved,
          ),
        );
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
      // Listed again at another tier: that person's tier is updated (issue 15), not a second person.
      if (same.tier === d.tier) plan.unchanged += 1;
      else
        plan.updates.push(
          personTierChange(d.line, same.id, { name: d.name, phone: d.phone, role: d.role, tier: d.tier }, same.tier),
        );
      continue;
    }
    if (compoundId === null && user.role !== 'admin') {
      plan.errors.push(
        rowError(
          d.line,
          'compound',
          said('为空：只有管理员可以添加全社区的人员', 'is empty: only an admin adds community-wide people'),
        ),
      );
      continue;
    }
    plan.creates.push({ ...person, line: d.line });
  }
  return plan;
}
