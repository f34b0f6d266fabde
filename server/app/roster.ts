import type { Tier } from '../domain/alert.js';
import {
  checkSchedule,
  DEFAULT_CHECKIN,
  MAX_POLICY_SEC,
  MIN_EVERY_SEC,
  nextDueAt,
  type CheckInPolicy,
  type QuietHours,
} from '../domain/check-in.js';
import { assertNever } from '../domain/ribbon.js';
import { isValidTimeZone, parseTimeOfDay } from '../domain/zoned-time.js';
import type { Household, Person, PersonRole, Stores, User } from './ports.js';
import { addHousehold } from './provision.js';

/**
 * Rosters: the households and the people of a community as CSV, the way communities keep them
 * in spreadsheets (issue 4, "Rosters"). Reading is pure (bytes → text → records → checked
 * rows); importing checks the rows against the database and writes them all in one transaction
 * or nothing; exporting writes the same columns back.
 *
 * The file format:
 * - RFC 4180: fields separated by `,`, records by CRLF (LF and a lone CR are accepted too),
 *   a field in double quotes may hold `,`, line breaks and `""` (one quote). A stray quote
 *   inside an unquoted field is kept as text; text after a closing quote is an error.
 * - UTF-8 with or without BOM; otherwise GBK (what Excel saves in China), detected by trying a
 *   fatal UTF-8 decode first, then a fatal GBK one. The charset a client declares is ignored.
 * - The first record is the header; columns are known by Chinese or English names (spaces,
 *   `_`, `-` and case do not matter; `小区(compound)`, as exported, is read by either part).
 *   Unknown columns are ignored and listed; blank records (every field empty) are skipped.
 * - A line number is the physical line where the record starts, the header being line 1 (a
 *   record with a line break inside quotes spans several lines).
 * - A cell the export escaped against formula injection (`'` before `=`, `+`, `-`, `@`, tab
 *   or CR) loses that `'` on import, so an export imports back unchanged.
 */

export const ROSTER_LIMITS = { maxBytes: 2 * 1024 * 1024, maxRows: 20_000, maxFieldChars: 500 } as const;

/** Errors reported per answer at most (a file of 20,000 bad rows would answer megabytes). */
export const MAX_REPORTED_ERRORS = 1000;

const DEFAULT_TIMEZONE = 'Asia/Shanghai';
const MAX_NAME = 100;
const MAX_RELATION = 50;
const MAX_CONTACTS = 10;
/** As the households and people routes accept it. */
const PHONE = /^[0-9+\- ]{3,20}$/;
// Line breaks and other C0/C1 controls have no place in a name, a room or a phone number.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export type Encoding = 'utf-8' | 'gbk';
/** A file that cannot be read at all: the answer is an error, not a report. */
export type RosterProblem = { ok: false; kind: 'badCsv' | 'tooLarge'; reason: string };
export type RowError = { line: number; field?: string; reason: string };

const badCsv = (reason: string): RosterProblem => ({ ok: false, kind: 'badCsv', reason });
const NEITHER = 'the file is neither UTF-8 nor GBK text; save it from Excel as "CSV UTF-8 (逗号分隔)"';

// ---------------------------------------------------------------------------------------------
// Bytes → text

/** The text of a roster file, or why it is not readable text. */
export function decodeRoster(bytes: Uint8Array): { ok: true; text: string; encoding: Encoding } | RosterProblem {
  if (bytes.length > ROSTER_LIMITS.maxBytes)
    return { ok: false, kind: 'tooLarge', reason: `the file is larger than ${ROSTER_LIMITS.maxBytes} bytes (2 MiB)` };
  if (bytes.length === 0) return badCsv('the file is empty');
  const starts = (...prefix: number[]) => prefix.every((b, i) => bytes[i] === b);
  // Common wrong files, named so the person knows what to do in Excel.
  if (starts(0xff, 0xfe) || starts(0xfe, 0xff))
    return badCsv('the file is UTF-16 ("Unicode text"); save it as "CSV UTF-8 (逗号分隔)" or "CSV (逗号分隔)"');
  if (starts(0x50, 0x4b, 0x03, 0x04) || starts(0xd0, 0xcf, 0x11, 0xe0))
    return badCsv('the file is an Excel workbook, not CSV; save it as "CSV UTF-8 (逗号分隔)"');
  const hasBom = starts(0xef, 0xbb, 0xbf);
  let text: string | null = null;
  let encoding: Encoding = 'utf-8';
  try {
    // ignoreBOM false: a leading BOM is removed.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    if (hasBom) return badCsv('the file starts with a UTF-8 byte order mark but is not valid UTF-8');
  }
  if (text === null) {
    // No GBK (nor GB18030) sequence has a 0xFF byte, but ICU's decoder reads one as U+F8F5
    // instead of failing, so it is refused here.
    if (bytes.includes(0xff)) return badCsv(NEITHER);
    try {
      // WHATWG "gbk" is decoded as GB18030, a superset: what Excel saves in China reads right.
      text = new TextDecoder('gbk', { fatal: true }).decode(bytes);
      encoding = 'gbk';
    } catch {
      return badCsv(NEITHER);
    }
  }
  if (text.includes('\u0000')) return badCsv('the file holds binary data (NUL bytes), not CSV text');
  return { ok: true, text, encoding };
}

// ---------------------------------------------------------------------------------------------
// Text → records (RFC 4180)

export type CsvRecord = { line: number; fields: string[] };

/** Records of a CSV text, with the line each starts on; the limits bound the work a file can cause. */
export function parseCsv(
  text: string,
  limits: { maxRows: number; maxFieldChars: number } = ROSTER_LIMITS,
): { ok: true; records: CsvRecord[] } | RosterProblem {
  const records: CsvRecord[] = [];
  const n = text.length;
  let fields: string[] = [];
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const tooLong = (at: number) =>
    badCsv(`line ${at}, field ${fields.length + 1}: longer than ${limits.maxFieldChars} characters`);

  while (i < n) {
    let field: string;
    if (text[i] === '"') {
      // RFC 4180 §2.5–2.7: a quoted field; "" is one quote; line breaks are part of the field.
      const startLine = line;
      i += 1;
      field = '';
      for (;;) {
        if (i >= n) return badCsv(`line ${startLine}: a quoted field is never closed (a quote is missing)`);
        const c = text[i] as string;
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line += 1;
        field += c;
        i += 1;
        if (field.length > limits.maxFieldChars) return tooLong(startLine);
      }
      if (i < n && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        return badCsv(`line ${line}: text after a closing quote; inside a quoted field a quote is written twice ("")`);
      }
    } else {
      let j = i;
      while (j < n && text[j] !== ',' && text[j] !== '\r' && text[j] !== '\n') j += 1;
      field = text.slice(i, j);
      i = j;
      if (field.length > limits.maxFieldChars) return tooLong(line);
    }
    fields.push(field);

    if (i < n && text[i] === ',') {
      i += 1;
      // A separator ends a field; one at the very end leaves an empty last field.
      if (i < n) continue;
      fields.push('');
    } else if (i < n) {
      i += text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1;
    }
    records.push({ line: recordLine, fields });
    // The header and up to maxRows records after it.
    if (records.length > limits.maxRows + 1) return badCsv(`the file has more than ${limits.maxRows} rows; split it`);
    fields = [];
    line += 1;
    recordLine = line;
  }
  return { ok: true, records };
}

// ---------------------------------------------------------------------------------------------
// Records → rows by column

type ColumnSpec<K extends string> = {
  readonly key: K;
  readonly zh: string;
  readonly aliases: readonly string[];
  readonly required: boolean;
};

/** Household rows. A household with several emergency contacts is several rows with the same compound, building, room and name. */
export const HOUSEHOLD_COLUMNS = [
  { key: 'compound', zh: '小区', aliases: ['小区名称', '小区名'], required: true },
  { key: 'building', zh: '楼栋', aliases: ['楼号', '楼栋号', '楼', '栋'], required: true },
  { key: 'room', zh: '房号', aliases: ['室', '房间', '房间号', '门牌号', '户号'], required: true },
  { key: 'name', zh: '姓名', aliases: ['老人姓名', '住户姓名'], required: true },
  { key: 'timezone', zh: '时区', aliases: ['time_zone'], required: false },
  { key: 'checkin', zh: '报平安方式', aliases: ['报平安', 'check_in'], required: false },
  { key: 'quiet_hours', zh: '免打扰时段', aliases: ['免打扰', 'quiet'], required: false },
  { key: 'contact_name', zh: '紧急联系人', aliases: ['联系人', 'contact'], required: true },
  { key: 'contact_phone', zh: '联系电话', aliases: ['紧急联系电话', '联系人电话'], required: true },
  { key: 'relation', zh: '关系', aliases: ['与老人关系', '联系人关系'], required: false },
] as const satisfies readonly ColumnSpec<string>[];

/** People who answer alarms. */
export const PEOPLE_COLUMNS = [
  { key: 'name', zh: '姓名', aliases: [], required: true },
  { key: 'phone', zh: '电话', aliases: ['联系电话', '手机', '手机号', 'mobile'], required: false },
  { key: 'role', zh: '角色', aliases: ['身份', '职务'], required: true },
  { key: 'tier', zh: '层级', aliases: ['级别', '梯队'], required: false },
  { key: 'compound', zh: '小区', aliases: ['小区名称', '小区名'], required: false },
  { key: 'building', zh: '楼栋', aliases: ['楼号', '楼栋号', '楼', '栋'], required: false },
] as const satisfies readonly ColumnSpec<string>[];

export type HouseholdColumn = (typeof HOUSEHOLD_COLUMNS)[number]['key'];
export type PeopleColumn = (typeof PEOPLE_COLUMNS)[number]['key'];

/** Header as exported: Chinese, then the English name in parentheses. */
export const exportHeader = (c: ColumnSpec<string>): string => `${c.zh}(${c.key})`;

/** Case, width (NFKC: full-width letters and brackets), spaces, `_` and `-` do not matter. */
function normalizeName(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s_-]/g, '');
}

export type TableRow<K extends string> = { line: number; values: Record<K, string>; errors: RowError[] };
export type Table<K extends string> = { rows: TableRow<K>[]; ignoredColumns: string[] };

/** Which column each header cell names; a missing required column is a file problem. */
export function readTable<K extends string>(
  records: readonly CsvRecord[],
  columns: readonly ColumnSpec<K>[],
): ({ ok: true } & Table<K>) | RosterProblem {
  const header = records[0];
  if (header === undefined) return badCsv('the file has no header line');
  const byName = new Map<string, K>();
  for (const c of columns) for (const name of [c.key, c.zh, ...c.aliases]) byName.set(normalizeName(name), c.key);

  const positions = new Map<K, number>();
  const ignoredColumns: string[] = [];
  for (const [index, raw] of header.fields.entries()) {
    const cell = raw.replace(/^\uFEFF/, '').trim();
    const name = normalizeName(cell);
    let key = byName.get(name);
    if (key === undefined) {
      // "小区(compound)": either part names the column, and they must agree.
      const parts = /^(.+)\((.+)\)$/.exec(name);
      const a = parts ? byName.get(parts[1] as string) : undefined;
      const b = parts ? byName.get(parts[2] as string) : undefined;
      if (a !== undefined && b !== undefined && a !== b)
        return badCsv(`header column ${index + 1} "${cell}" names two different columns`);
      key = a ?? b;
    }
    if (key === undefined) {
      if (cell !== '') ignoredColumns.push(cell);
      continue;
    }
    const earlier = positions.get(key);
    if (earlier !== undefined) return badCsv(`header columns ${earlier + 1} and ${index + 1} both name ${key}`);
    positions.set(key, index);
  }
  const missing = columns.filter((c) => c.required && !positions.has(c.key));
  if (missing.length > 0) {
    return badCsv(
      `the header (line 1) lacks the column${missing.length > 1 ? 's' : ''} ${missing.map(exportHeader).join(', ')}; it has: ${header.fields.map((f) => f.trim()).join(', ')}`,
    );
  }

  const rows: TableRow<K>[] = [];
  for (const record of records.slice(1)) {
    if (record.fields.every((f) => f.trim() === '')) continue;
    const errors: RowError[] = [];
    const values = {} as Record<K, string>;
    for (const c of columns) {
      const at = positions.get(c.key);
      const value = unescapeCell(at === undefined ? '' : (record.fields[at] ?? '')).trim();
      if (CONTROL.test(value))
        errors.push({ line: record.line, field: c.key, reason: 'holds a line break or a control character' });
      values[c.key] = value;
    }
    const extra = record.fields.slice(header.fields.length);
    if (extra.some((f) => f.trim() !== ''))
      errors.push({
        line: record.line,
        reason: `has ${record.fields.length} fields; the header has ${header.fields.length}`,
      });
    rows.push({ line: record.line, values, errors });
  }
  return { ok: true, rows, ignoredColumns };
}

/** Bytes → a table of rows, or why the file cannot be read. */
export function readRosterFile<K extends string>(
  bytes: Uint8Array,
  columns: readonly ColumnSpec<K>[],
): ({ ok: true; encoding: Encoding } & Table<K>) | RosterProblem {
  const decoded = decodeRoster(bytes);
  if (!decoded.ok) return decoded;
  const parsed = parseCsv(decoded.text);
  if (!parsed.ok) return parsed;
  const table = readTable(parsed.records, columns);
  if (!table.ok) return table;
  return { ...table, encoding: decoded.encoding };
}

// ---------------------------------------------------------------------------------------------
// Cell values

const FORMULA_START = /^[=+\-@\t\r]/;

/** Undoes the export's formula escape (see `csvCell`). */
function unescapeCell(raw: string): string {
  return raw.startsWith("'") && FORMULA_START.test(raw.slice(1)) ? raw.slice(1) : raw;
}

const DURATION_UNITS: ReadonlyArray<[RegExp, number]> = [
  [/^(天|days?|d)/, 86_400],
  [/^(小时|hours?|hrs?|h|时)/, 3_600],
  [/^(分钟|minutes?|mins?|m|分)/, 60],
  [/^(秒|seconds?|secs?|s)/, 1],
];

/** "24h", "1h30m", "2小时" → seconds; null if it is not a duration. */
function parseDuration(text: string): number | null {
  let rest = text;
  let total = 0;
  while (rest !== '') {
    const number = /^\d{1,7}/.exec(rest);
    if (number === null) return null;
    rest = rest.slice(number[0].length);
    const unit = DURATION_UNITS.find(([re]) => re.test(rest));
    if (unit === undefined) return null;
    rest = rest.replace(unit[0], '');
    total += Number(number[0]) * unit[1];
  }
  return text === '' ? null : total;
}

const CHECKIN_HELP =
  'write "24h+2h" (a check-in every 24 hours, 2 hours\' grace) or "每日10:00" / "daily 10:00" (every day by 10:00); leave it empty for the default (24h+2h)';

/**
 * The check-in column: empty → null (the default policy); "24h+2h" / "每24小时+2小时" /
 * "1d" (interval: every, plus grace; units d/天, h/小时, m/分钟, s/秒) → interval;
 * "每日10:00" / "每天 9:30" / "daily 10:00" / "10:00" → a daily deadline (local time).
 */
export function parseCheckIn(text: string): { ok: true; value: CheckInPolicy | null } | { ok: false; reason: string } {
  const t = text.normalize('NFKC').toLowerCase().replace(/\s/g, '');
  if (t === '') return { ok: true, value: null };
  const deadline = /^(?:每日|每天|daily|everyday)?(\d{1,2}):(\d{2})(?:前|之前)?$/.exec(t);
  if (deadline !== null) {
    const time = `${(deadline[1] as string).padStart(2, '0')}:${deadline[2] as string}`;
    if (parseTimeOfDay(time) === null)
      return { ok: false, reason: `"${text}": ${time} is not a time of day from 00:00 to 23:59` };
    return { ok: true, value: { kind: 'deadline', time } };
  }
  const interval = /^(?:每|every)?([^+]+)(?:\+([^+]+))?$/.exec(t);
  const everySec = interval ? parseDuration(interval[1] as string) : null;
  const graceSec = interval?.[2] === undefined ? 0 : parseDuration(interval[2]);
  if (everySec === null || graceSec === null)
    return { ok: false, reason: `"${text}" is not understood: ${CHECKIN_HELP}` };
  if (everySec < MIN_EVERY_SEC || everySec > MAX_POLICY_SEC)
    return { ok: false, reason: `"${text}": the interval must be from 1 minute to 30 days` };
  if (graceSec > MAX_POLICY_SEC) return { ok: false, reason: `"${text}": the grace must be at most 30 days` };
  return { ok: true, value: { kind: 'interval', everySec, graceSec } };
}

function formatDuration(sec: number): string {
  if (sec % 3_600 === 0) return `${sec / 3_600}h`;
  if (sec % 60 === 0) return `${sec / 60}m`;
  return `${sec}s`;
}

/** The check-in column as exported (read back by `parseCheckIn`); null → empty (the default). */
export function formatCheckIn(policy: CheckInPolicy | null): string {
  if (policy === null) return '';
  switch (policy.kind) {
    case 'interval':
      return policy.graceSec === 0
        ? formatDuration(policy.everySec)
        : `${formatDuration(policy.everySec)}+${formatDuration(policy.graceSec)}`;
    case 'deadline':
      return `每日${policy.time}`;
    default:
      return assertNever(policy);
  }
}

/** "22:00-07:00" (also `~`, `至`, `到`); empty, "无" or "none" → null. */
export function parseQuietHours(text: string): { ok: true; value: QuietHours } | { ok: false; reason: string } {
  const t = text.normalize('NFKC').toLowerCase().replace(/\s/g, '');
  if (t === '' || t === '无' || t === 'none') return { ok: true, value: null };
  const m = /^(\d{1,2}:\d{2})[-~–—至到](\d{1,2}:\d{2})$/.exec(t);
  const start = m?.[1]?.padStart(5, '0');
  const end = m?.[2]?.padStart(5, '0');
  if (start === undefined || end === undefined || parseTimeOfDay(start) === null || parseTimeOfDay(end) === null) {
    return {
      ok: false,
      reason: `"${text}" is not understood: write "22:00-07:00" (no check-in alarm from 22:00 to 07:00), or leave it empty`,
    };
  }
  return { ok: true, value: { start, end } };
}

export function formatQuietHours(q: QuietHours): string {
  return q === null ? '' : `${q.start}-${q.end}`;
}

const ROLE_WORDS: Record<PersonRole, string> = {
  volunteer: '志愿者',
  center_household: '党员中心户',
  grid_worker: '网格员',
  party_branch: '党支部',
  duty_officer: '值班员',
  staff: '工作人员',
};
const ROLE_ALIASES: Record<PersonRole, readonly string[]> = {
  volunteer: ['志愿者', '楼栋志愿者'],
  center_household: ['党员中心户', '中心户'],
  grid_worker: ['网格员'],
  party_branch: ['党支部', '支部'],
  duty_officer: ['值班员', '值班人员', '社区值班员'],
  staff: ['工作人员', '社区工作人员'],
};
/** docs/rules.md "The tiers"; staff have no usual tier and must give one. */
const DEFAULT_TIER: Record<PersonRole, Tier | null> = {
  volunteer: 1,
  center_household: 1,
  grid_worker: 2,
  party_branch: 2,
  duty_officer: 3,
  staff: null,
};

const ROLE_BY_NAME = new Map<string, PersonRole>(
  (Object.keys(ROLE_ALIASES) as PersonRole[]).flatMap((role) =>
    [role, ...ROLE_ALIASES[role]].map((name) => [normalizeName(name), role] as const),
  ),
);

export function parseRole(text: string): PersonRole | null {
  return ROLE_BY_NAME.get(normalizeName(text)) ?? null;
}

/** "1", "一级", "第2梯队", "tier 3" → the tier; null if it is none of 1–3. */
export function parseTier(text: string): Tier | null {
  const m = /^(?:tier|第)?([123一二三])(?:级|层|梯队)?$/.exec(normalizeName(text));
  if (m === null) return null;
  return ({ '1': 1, '2': 2, '3': 3, 一: 1, 二: 2, 三: 3 } as const)[m[1] as '1' | '2' | '3' | '一' | '二' | '三'];
}

// ---------------------------------------------------------------------------------------------
// Rows → households and people (checks that need no database)

export type ContactDraft = { line: number; name: string; phone: string; relation: string };
export type HouseholdDraft = {
  /** Its first row; further rows only add contacts. */
  line: number;
  compound: string;
  building: string;
  room: string;
  name: string;
  /** null: not given (Asia/Shanghai). */
  timezone: string | null;
  /** null: not given (the default policy, stored as NULL). */
  checkin: CheckInPolicy | null;
  quietHours: QuietHours;
  contacts: ContactDraft[];
};

const householdKey = (h: { compound: string; building: string; room: string; name: string }) =>
  [h.compound, h.building, h.room, h.name].join('\u0000');

function checkName(value: string, field: string, line: number, errors: RowError[], required = true): void {
  if (value === '') {
    if (required) errors.push({ line, field, reason: 'is empty' });
  } else if (value.length > MAX_NAME) errors.push({ line, field, reason: `is longer than ${MAX_NAME} characters` });
}

/** Each row checked on its own; rows of one household grouped (its settings from its first row). */
export function readHouseholds(rows: readonly TableRow<HouseholdColumn>[]): {
  households: HouseholdDraft[];
  errors: RowError[];
} {
  const errors: RowError[] = [];
  const byKey = new Map<string, HouseholdDraft>();
  for (const row of rows) {
    const { line, values: v } = row;
    const problems = [...row.errors];
    const err = (field: HouseholdColumn, reason: string) => problems.push({ line, field, reason });
    checkName(v.compound, 'compound', line, problems);
    checkName(v.building, 'building', line, problems);
    checkName(v.name, 'name', line, problems);
    checkName(v.room, 'room', line, problems, false);

    const timezone = v.timezone === '' ? null : v.timezone;
    if (timezone !== null && !isValidTimeZone(timezone))
      err('timezone', `"${timezone}" is not a time zone such as Asia/Shanghai`);
    const checkin = parseCheckIn(v.checkin);
    if (!checkin.ok) err('checkin', checkin.reason);
    const quiet = parseQuietHours(v.quiet_hours);
    if (!quiet.ok) err('quiet_hours', quiet.reason);
    if (checkin.ok && quiet.ok && (timezone === null || isValidTimeZone(timezone))) {
      // The domain's own check, as the API runs it: the last word on what a schedule may be.
      const checked = checkSchedule({
        policy: checkin.value ?? DEFAULT_CHECKIN,
        timeZone: timezone ?? DEFAULT_TIMEZONE,
        quietHours: quiet.value,
        awayUntil: null,
      });
      if (!checked.ok) err(checked.reason.startsWith('quietHours') ? 'quiet_hours' : 'checkin', checked.reason);
    }

    let contact: ContactDraft | null = null;
    if (v.contact_name !== '' || v.contact_phone !== '') {
      checkName(v.contact_name, 'contact_name', line, problems);
      if (v.contact_phone === '') err('contact_phone', 'is empty (a contact needs a phone number)');
      else if (!PHONE.test(v.contact_phone))
        err('contact_phone', `"${v.contact_phone}" is not a phone number (3–20 digits, +, - or spaces)`);
      if (v.relation.length > MAX_RELATION) err('relation', `is longer than ${MAX_RELATION} characters`);
      contact = { line, name: v.contact_name, phone: v.contact_phone, relation: v.relation };
    } else if (v.relation !== '') err('relation', 'is given without a contact');

    if (problems.length > 0) {
      errors.push(...problems);
      continue;
    }
    const draft: HouseholdDraft = {
      line,
      compound: v.compound,
      building: v.building,
      room: v.room,
      name: v.name,
      timezone,
      checkin: checkin.ok ? checkin.value : null,
      quietHours: quiet.ok ? quiet.value : null,
      contacts: contact ? [contact] : [],
    };
    const first = byKey.get(householdKey(draft));
    if (first === undefined) {
      byKey.set(householdKey(draft), draft);
      continue;
    }
    // A further row of the same household: it adds a contact and may repeat, not change, the settings.
    const differs = (field: HouseholdColumn, given: string, mine: string, theirs: string) => {
      if (given !== '' && mine !== theirs)
        err(field, `differs from line ${first.line} (a household's settings are read from its first row)`);
    };
    differs('timezone', v.timezone, draft.timezone ?? '', first.timezone ?? '');
    differs('checkin', v.checkin, formatCheckIn(draft.checkin), formatCheckIn(first.checkin));
    differs('quiet_hours', v.quiet_hours, formatQuietHours(draft.quietHours), formatQuietHours(first.quietHours));
    if (contact === null) {
      problems.push({
        line,
        reason: `repeats the household of line ${first.line}; a further row of a household adds a contact`,
      });
    } else {
      const same = first.contacts.find((c) => c.name === contact.name && c.phone === contact.phone);
      if (same !== undefined)
        problems.push({ line, field: 'contact_name', reason: `repeats the contact of line ${same.line}` });
      else if (first.contacts.length >= MAX_CONTACTS)
        problems.push({ line, field: 'contact_name', reason: `a household has at most ${MAX_CONTACTS} contacts` });
    }
    if (problems.length > 0) errors.push(...problems);
    else if (contact !== null) first.contacts.push(contact);
  }
  return { households: [...byKey.values()], errors };
}

export type PersonDraft = {
  line: number;
  name: string;
  phone: string | null;
  role: PersonRole;
  tier: Tier;
  compound: string | null;
  building: string | null;
};

const personKey = (p: {
  name: string;
  phone: string | null;
  role: PersonRole;
  compound: string | null;
  building: string | null;
}) => [p.name, p.phone ?? '', p.role, p.compound ?? '', p.building ?? ''].join('\u0000');

export function readPeople(rows: readonly TableRow<PeopleColumn>[]): { people: PersonDraft[]; errors: RowError[] } {
  const errors: RowError[] = [];
  const seen = new Map<string, number>();
  const people: PersonDraft[] = [];
  for (const row of rows) {
    const { line, values: v } = row;
    const problems = [...row.errors];
    const err = (field: PeopleColumn, reason: string) => problems.push({ line, field, reason });
    checkName(v.name, 'name', line, problems);
    if (v.phone !== '' && !PHONE.test(v.phone))
      err('phone', `"${v.phone}" is not a phone number (3–20 digits, +, - or spaces)`);
    const role = v.role === '' ? null : parseRole(v.role);
    if (role === null) {
      err(
        'role',
        v.role === ''
          ? 'is empty'
          : `"${v.role}" is not a role: ${Object.values(ROLE_WORDS).join(', ')} (or ${Object.keys(ROLE_WORDS).join(', ')})`,
      );
    }
    let tier: Tier | null = null;
    if (v.tier !== '') {
      tier = parseTier(v.tier);
      if (tier === null) err('tier', `"${v.tier}" is not a tier: 1, 2 or 3`);
    } else if (role !== null) {
      tier = DEFAULT_TIER[role];
      if (tier === null) err('tier', `is empty; ${ROLE_WORDS[role]} (${role}) needs a tier: 1, 2 or 3`);
    }
    checkName(v.compound, 'compound', line, problems, false);
    checkName(v.building, 'building', line, problems, false);
    if (v.building !== '' && v.compound === '') err('building', 'is given without a compound');
    if (problems.length > 0 || role === null || tier === null) {
      errors.push(...problems);
      continue;
    }
    const draft: PersonDraft = {
      line,
      name: v.name,
      phone: v.phone || null,
      role,
      tier,
      compound: v.compound || null,
      building: v.building || null,
    };
    const earlier = seen.get(personKey(draft));
    if (earlier !== undefined) {
      errors.push({ line, reason: `repeats line ${earlier}` });
      continue;
    }
    seen.set(personKey(draft), line);
    people.push(draft);
  }
  return { people, errors };
}

// ---------------------------------------------------------------------------------------------
// Import: checks against the database, then everything in one transaction or nothing

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

export type ImportOptions = { dryRun: boolean; now: number };
export type RosterKind = 'households' | 'people';

/**
 * Reads a roster file and imports it: nothing is written in a dry run or if any row is bad.
 * The real import checks every row again inside its transaction (BEGIN IMMEDIATE: no other
 * writer between the checks and the writes), whatever an earlier dry run said.
 * Permissions: an admin imports anywhere and may open compounds (households); staff only into
 * their compounds, and another compound's name is a row error that does not tell whether it
 * exists. Volunteers are refused before this (by the route).
 */
export function importRoster(
  stores: Stores,
  user: User,
  kind: RosterKind,
  bytes: Uint8Array,
  options: ImportOptions,
): { ok: true; report: ImportReport } | RosterProblem {
  switch (kind) {
    case 'households': {
      const file = readRosterFile(bytes, HOUSEHOLD_COLUMNS);
      if (!file.ok) return file;
      const read = readHouseholds(file.rows);
      return run(
        stores,
        options,
        file,
        read.errors,
        () => planHouseholds(stores, user, read.households),
        (d) => createHousehold(stores, d, options.now),
      );
    }
    case 'people': {
      const file = readRosterFile(bytes, PEOPLE_COLUMNS);
      if (!file.ok) return file;
      const read = readPeople(file.rows);
      return run(
        stores,
        options,
        file,
        read.errors,
        () => planPeople(stores, user, read.people),
        (d) => stores.people.add(d, options.now),
      );
    }
    default:
      return assertNever(kind);
  }
}

type Plan<T> = { creates: T[]; unchanged: number; errors: RowError[] };

function run<T>(
  stores: Stores,
  options: ImportOptions,
  file: { encoding: Encoding; rows: unknown[]; ignoredColumns: string[] },
  readErrors: RowError[],
  plan: () => Plan<T>,
  create: (item: T) => unknown,
): { ok: true; report: ImportReport } {
  const attempt = (): ImportReport => {
    const p = plan();
    // Sorted by line; a row's own problems keep their column order.
    const errors = [...readErrors, ...p.errors].sort((a, b) => a.line - b.line);
    const ok = errors.length === 0;
    if (ok && !options.dryRun) for (const item of p.creates) create(item);
    return {
      ok,
      dryRun: options.dryRun,
      encoding: file.encoding,
      rows: file.rows.length,
      created: ok ? p.creates.length : 0,
      unchanged: ok ? p.unchanged : 0,
      ignoredColumns: file.ignoredColumns,
      errors: errors.slice(0, MAX_REPORTED_ERRORS),
      errorsOmitted: Math.max(0, errors.length - MAX_REPORTED_ERRORS),
    };
  };
  return { ok: true, report: options.dryRun ? attempt() : stores.transaction(attempt) };
}

/** Another compound's name and an unknown one read the same to staff: existence does not leak. */
const notYours = (name: string) => `you do not look after a compound named "${name}"`;

type PlannedHousehold = HouseholdDraft & { compoundId: number | null };

function planHouseholds(stores: Stores, user: User, drafts: readonly HouseholdDraft[]): Plan<PlannedHousehold> {
  const compounds = new Map(stores.places.listCompounds().map((c) => [c.name, c.id]));
  const stored = new Map<string, Household[]>();
  for (const h of stores.places.listHouseholds()) {
    const key = householdKey(h);
    stored.set(key, [...(stored.get(key) ?? []), h]);
  }
  const plan: Plan<PlannedHousehold> = { creates: [], unchanged: 0, errors: [] };
  for (const d of drafts) {
    const compoundId = compounds.get(d.compound) ?? null;
    if (user.role !== 'admin' && (compoundId === null || !user.compoundIds.includes(compoundId))) {
      plan.errors.push({ line: d.line, field: 'compound', reason: notYours(d.compound) });
      continue;
    }
    const matches = stored.get(householdKey(d)) ?? [];
    if (matches.length === 0) {
      plan.creates.push({ ...d, compoundId });
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

/** The columns in which a stored household differs from a row (empty: the same). */
function differencesFrom(stores: Stores, h: Household, d: HouseholdDraft): HouseholdColumn[] {
  const s = stores.places.schedule(h.id);
  const out: HouseholdColumn[] = [];
  if (h.timezone !== (d.timezone ?? DEFAULT_TIMEZONE)) out.push('timezone');
  if (formatCheckIn(storedPolicy(s?.policy ?? null)) !== formatCheckIn(d.checkin)) out.push('checkin');
  if (formatQuietHours(storedQuietHours(s?.quietHours ?? null)) !== formatQuietHours(d.quietHours))
    out.push('quiet_hours');
  const contactSet = (cs: ReadonlyArray<{ name: string; phone: string; relation: string }>) =>
    cs
      .map((c) => [c.name, c.phone, c.relation].join('\u0000'))
      .sort()
      .join('\u0001');
  if (contactSet(stores.people.contacts(h.id)) !== contactSet(d.contacts)) out.push('contact_name');
  return out;
}

/** A stored policy as the domain reads it; null for NULL (the default) or one that does not check. */
function storedPolicy(policy: unknown): CheckInPolicy | null {
  if (policy === null) return null;
  const checked = checkSchedule({ policy, timeZone: 'UTC', quietHours: null, awayUntil: null });
  return checked.ok ? checked.value.policy : null;
}

function storedQuietHours(quietHours: unknown): QuietHours {
  if (quietHours === null) return null;
  const checked = checkSchedule({ policy: DEFAULT_CHECKIN, timeZone: 'UTC', quietHours, awayUntil: null });
  return checked.ok ? checked.value.quietHours : null;
}

function createHousehold(stores: Stores, d: PlannedHousehold, now: number): number {
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
    const timeZone = d.timezone ?? DEFAULT_TIMEZONE;
    const schedule = { policy: d.checkin ?? DEFAULT_CHECKIN, timeZone, quietHours: d.quietHours, awayUntil: null };
    // The policy stays NULL when the row left it empty, so the default still applies later.
    stores.places.setSchedule(
      id,
      { policy: d.checkin, quietHours: d.quietHours, awayUntil: null, timezone: timeZone },
      nextDueAt(schedule, null, now),
    );
  }
  for (const c of d.contacts)
    stores.people.addContact({ householdId: id, name: c.name, phone: c.phone, relation: c.relation }, now);
  return id;
}

function planPeople(stores: Stores, user: User, drafts: readonly PersonDraft[]): Plan<Omit<Person, 'id'>> {
  const compounds = new Map(stores.places.listCompounds().map((c) => [c.name, c.id]));
  const buildings = new Map(stores.places.listBuildings().map((b) => [`${b.compoundId}\u0000${b.name}`, b.id]));
  const stored = new Map<string, Person>();
  for (const p of stores.people.list())
    stored.set([p.name, p.phone ?? '', p.role, p.compoundId ?? '', p.buildingId ?? ''].join('\u0000'), p);
  const plan: Plan<Omit<Person, 'id'>> = { creates: [], unchanged: 0, errors: [] };
  for (const d of drafts) {
    let compoundId: number | null = null;
    let buildingId: number | null = null;
    if (d.compound !== null) {
      compoundId = compounds.get(d.compound) ?? null;
      if (user.role !== 'admin' && (compoundId === null || !user.compoundIds.includes(compoundId))) {
        plan.errors.push({ line: d.line, field: 'compound', reason: notYours(d.compound) });
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
    const person = { name: d.name, phone: d.phone, role: d.role, tier: d.tier, compoundId, buildingId };
    const same = stored.get([d.name, d.phone ?? '', d.role, compoundId ?? '', buildingId ?? ''].join('\u0000'));
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
    plan.creates.push(person);
  }
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Export

/** UTF-8 byte order mark: without it Excel reads a UTF-8 CSV as the local code page (GBK) and garbles Chinese. */
export const CSV_BOM = '\uFEFF';

/**
 * One cell. OWASP "CSV Injection": a cell starting with =, +, -, @, tab or CR is a formula to
 * a spreadsheet, so it gets a leading `'` (read back by the import). RFC 4180 §2.6–2.7: a cell
 * with a quote, comma or line break is quoted, its quotes doubled.
 */
export function csvCell(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Records joined with CRLF (RFC 4180 §2.1), ending in CRLF. */
export function formatCsv(rows: ReadonlyArray<readonly string[]>): string {
  return rows.map((r) => `${r.map(csvCell).join(',')}\r\n`).join('');
}

/** The households the user may see, one row per emergency contact (one row if none). No BOM. */
export function exportHouseholds(stores: Stores, user: User): { csv: string; count: number } {
  const rows: string[][] = [HOUSEHOLD_COLUMNS.map(exportHeader)];
  const households = stores.places
    .listHouseholds()
    .filter((h) => user.role === 'admin' || user.compoundIds.includes(h.compoundId));
  for (const h of households) {
    const s = stores.places.schedule(h.id);
    const contacts = stores.people.contacts(h.id);
    const cells = (
      c: { name: string; phone: string; relation: string } | undefined,
    ): Record<HouseholdColumn, string> => ({
      compound: h.compound,
      building: h.building,
      room: h.room,
      name: h.name,
      timezone: h.timezone,
      checkin: formatCheckIn(storedPolicy(s?.policy ?? null)),
      quiet_hours: formatQuietHours(storedQuietHours(s?.quietHours ?? null)),
      contact_name: c?.name ?? '',
      contact_phone: c?.phone ?? '',
      relation: c?.relation ?? '',
    });
    for (const c of contacts.length > 0 ? contacts : [undefined]) {
      const byKey = cells(c);
      rows.push(HOUSEHOLD_COLUMNS.map((col) => byKey[col.key]));
    }
  }
  return { csv: formatCsv(rows), count: households.length };
}

/** The people the user may see (as GET /api/people: their compounds and the community-wide ones). No BOM. */
export function exportPeople(stores: Stores, user: User): { csv: string; count: number } {
  const compounds = new Map(stores.places.listCompounds().map((c) => [c.id, c.name]));
  const buildings = new Map(stores.places.listBuildings().map((b) => [b.id, b.name]));
  const people = stores.people
    .list()
    .filter((p) => p.compoundId === null || user.role === 'admin' || user.compoundIds.includes(p.compoundId));
  const rows: string[][] = [PEOPLE_COLUMNS.map(exportHeader)];
  for (const p of people) {
    const byKey: Record<PeopleColumn, string> = {
      name: p.name,
      phone: p.phone ?? '',
      role: ROLE_WORDS[p.role],
      tier: String(p.tier),
      compound: p.compoundId === null ? '' : (compounds.get(p.compoundId) ?? ''),
      building: p.buildingId === null ? '' : (buildings.get(p.buildingId) ?? ''),
    };
    rows.push(PEOPLE_COLUMNS.map((col) => byKey[col.key]));
  }
  return { csv: formatCsv(rows), count: people.length };
}
