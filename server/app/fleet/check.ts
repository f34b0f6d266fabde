import { addressKey, addressText } from '../../domain/address.js';
import type { Household, Stores, User } from '../ports.js';
import { type ColumnSpec, readRecords } from '../roster/columns.js';
import {
  badCsv,
  type Encoding,
  type RosterProblem,
  type RowError,
  rowError,
  type Said,
  said,
} from '../roster/format.js';
import { importRefusal, MAX_REPORTED_ERRORS, type RosterFormat, type RosterRecords } from '../roster/import.js';

// Fleet provisioning, step one (issue 16): a sheet of households read and every row checked
// against the database, as the roster import checks its rows — on a roster checker's thread
// (server/api/roster-check-pool.ts), read-only. Step two (provision.ts) issues the devices.

/** Rows per batch at most: a batch is one transaction and one answer holding every secret. */
export const FLEET_MAX_ROWS = 2000;

/** A household is named by its id, or by its address as the roster names it (小区 楼栋 房号; 姓名 where there is no room). */
export const FLEET_COLUMNS = [
  { key: 'household_id', zh: '住户编号', aliases: ['住户id', '户编号', 'householdid'], required: false },
  { key: 'compound', zh: '小区', aliases: ['小区名称', '小区名'], required: false },
  { key: 'building', zh: '楼栋', aliases: ['楼号', '楼栋号', '楼', '栋'], required: false },
  { key: 'room', zh: '房号', aliases: ['室', '房间', '房间号', '门牌号', '户号'], required: false },
  { key: 'name', zh: '姓名', aliases: ['老人姓名', '住户姓名'], required: false },
] as const satisfies readonly ColumnSpec<string>[];

/** A row that will get a device: the household as stored (what the sheet and the label print). */
export type FleetRow = {
  line: number;
  householdId: number;
  name: string;
  compound: string;
  building: string;
  room: string;
  address: string;
};

export type FleetReport = {
  ok: boolean;
  dryRun: boolean;
  format: RosterFormat;
  encoding: Encoding;
  rows: number;
  /** Devices issued (a dry run: that would be); 0 when a row is bad (nothing is issued). */
  created: number;
  /** The households, in file order (a preview; empty when a row is bad). */
  households: FleetRow[];
  ignoredColumns: string[];
  errors: RowError[];
  errorsOmitted: number;
};

/** The report, and for a real run of a good file the rows to provision (plain data: it crosses from the worker). */
export type CheckedFleet = { ok: true; report: FleetReport; plan: FleetRow[] | null };

const TOO_MANY = badCsv(
  `一批最多 ${FLEET_MAX_ROWS} 户，请把文件分成几批`,
  `a batch holds at most ${FLEET_MAX_ROWS} households; split the file into several batches`,
);

/** Checks a fleet file (records already read from CSV or .xlsx) for this user. */
export function checkFleet(
  stores: Stores,
  user: User,
  records: RosterRecords,
  dryRun: boolean,
): CheckedFleet | RosterProblem {
  const file = readRecords(records, FLEET_COLUMNS);
  if (!file.ok) return file;
  if (file.rows.length > FLEET_MAX_ROWS) return { ...TOO_MANY, kind: 'tooLarge' };
  const byAddress = new Map<string, Household[]>();
  for (const h of stores.places.listHouseholds()) {
    if (h.closed !== null) continue;
    const key = addressKey(h);
    byAddress.set(key, [...(byAddress.get(key) ?? []), h]);
  }
  const errors: RowError[] = [];
  const rows: FleetRow[] = [];
  const firstLine = new Map<number, number>();
  for (const row of file.rows) {
    const v = row.values;
    if (row.errors.length > 0) {
      errors.push(...row.errors);
      continue;
    }
    const bad = (field: string | undefined, words: Said) => errors.push(rowError(row.line, field, words));
    const found = findHousehold(stores, byAddress, v);
    if (!found.ok) {
      bad(found.field, found);
      continue;
    }
    const h = found.household;
    // Another compound's household and none at all read the same to staff: existence does not leak.
    if (user.role !== 'admin' && !user.compoundIds.includes(h.compoundId)) {
      bad(found.field, notFound(v));
      continue;
    }
    const refused = importRefusal(user, h.compoundId, h.compound);
    if (refused !== null) {
      bad('compound', refused);
      continue;
    }
    if (h.closed !== null) {
      bad(found.field, said(`住户 #${h.id} 已注销`, `household #${h.id} is closed`));
      continue;
    }
    if (v.name !== '' && v.name !== h.name) {
      bad('name', said(`姓名"${v.name}"与登记的"${h.name}"不符`, `name "${v.name}" is not the registered "${h.name}"`));
      continue;
    }
    const earlier = firstLine.get(h.id);
    if (earlier !== undefined) {
      bad(
        found.field,
        said(
          `与第 ${earlier} 行是同一户（#${h.id}）；一行一台设备`,
          `the same household (#${h.id}) as line ${earlier}`,
        ),
      );
      continue;
    }
    firstLine.set(h.id, row.line);
    const place = { compound: h.compound, building: h.building, room: h.room };
    rows.push({ line: row.line, householdId: h.id, name: h.name, ...place, address: addressText(place) });
  }
  const ok = errors.length === 0;
  const report: FleetReport = {
    ok,
    dryRun,
    format: records.format,
    encoding: file.encoding,
    rows: file.rows.length,
    created: ok ? rows.length : 0,
    households: ok ? rows : [],
    ignoredColumns: file.ignoredColumns,
    errors: errors.slice(0, MAX_REPORTED_ERRORS),
    errorsOmitted: Math.max(0, errors.length - MAX_REPORTED_ERRORS),
  };
  return { ok: true, report, plan: ok && !dryRun ? rows : null };
}

type Values = Record<(typeof FLEET_COLUMNS)[number]['key'], string>;
type Found = { ok: true; household: Household; field: string } | ({ ok: false; field: string } & Said);

const notFound = (v: Values): Said =>
  v.household_id !== ''
    ? said(`没有编号为 ${v.household_id} 的住户`, `no household has the id ${v.household_id}`)
    : said(`没有地址为"${addressText(v)}"的住户`, `no open household is at "${addressText(v)}"`);

function findHousehold(stores: Stores, byAddress: ReadonlyMap<string, Household[]>, v: Values): Found {
  if (v.household_id !== '') {
    if (!/^[1-9][0-9]{0,14}$/.test(v.household_id))
      return {
        ok: false,
        field: 'household_id',
        ...said(
          `"${v.household_id}" 不是住户编号（正整数）`,
          `"${v.household_id}" is not a household id (a positive whole number)`,
        ),
      };
    const h = stores.places.getHousehold(Number(v.household_id));
    if (h === null) return { ok: false, field: 'household_id', ...notFound(v) };
    // Both given: they must name the same household (a row copied from elsewhere and half edited).
    if (v.compound !== '' && (h.compound !== v.compound || h.building !== v.building || h.room.trim() !== v.room))
      return {
        ok: false,
        field: 'household_id',
        ...said(`住户 #${h.id} 的地址不是"${addressText(v)}"`, `household #${h.id} is not at "${addressText(v)}"`),
      };
    return { ok: true, household: h, field: 'household_id' };
  }
  if (v.compound === '' || v.building === '')
    return {
      ok: false,
      field: v.compound === '' ? 'compound' : 'building',
      ...said('请填写住户编号，或小区、楼栋和房号', 'give a household id, or the compound, building and room'),
    };
  const matches = byAddress.get(addressKey(v)) ?? [];
  if (matches.length === 1) return { ok: true, household: matches[0] as Household, field: 'room' };
  if (matches.length === 0) return { ok: false, field: 'room', ...notFound(v) };
  return {
    ok: false,
    field: 'room',
    ...said(
      `地址"${addressText(v)}"有 ${matches.length} 户，请填写住户编号`,
      `${matches.length} households are at "${addressText(v)}"; give the household id`,
    ),
  };
}
