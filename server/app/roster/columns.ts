import { type CsvRecord, parseCsv, unescapeCell } from './csv.js';
import { decodeRoster } from './decode.js';
import { badCsv, type Encoding, type RosterProblem, type RowError, rowError, said } from './format.js';

// Line breaks and other C0/C1 controls have no place in a name, a room or a phone number.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export type ColumnSpec<K extends string> = {
  readonly key: K;
  readonly zh: string;
  readonly aliases: readonly string[];
  readonly required: boolean;
  /** What a cell holds, for the template's 说明 sheet and docs/rosters.md: Chinese, English. */
  readonly help?: readonly [string, string];
};

// The places above the compound (issue 14), optional: a row naming them puts its compound in
// that community (roster/places.ts). Exported only once a deployment names its places.
const STREET = { key: 'street', zh: '街道', aliases: ['街道名称', '街道办', '街道办事处'], required: false } as const;
const COMMUNITY = {
  key: 'community',
  zh: '社区',
  aliases: ['社区名称', '社区居委会', '居委会'],
  required: false,
} as const;

/** Household rows. A household with several emergency contacts is several rows with the same compound, building, room and name. */
export const HOUSEHOLD_COLUMNS = [
  STREET,
  COMMUNITY,
  { key: 'compound', zh: '小区', aliases: ['小区名称', '小区名'], required: true },
  { key: 'building', zh: '楼栋', aliases: ['楼号', '楼栋号', '楼', '栋'], required: true },
  { key: 'room', zh: '房号', aliases: ['室', '房间', '房间号', '门牌号', '户号'], required: true },
  { key: 'name', zh: '姓名', aliases: ['老人姓名', '住户姓名'], required: true },
  { key: 'timezone', zh: '时区', aliases: ['time_zone'], required: false },
  { key: 'checkin', zh: '报平安方式', aliases: ['报平安', 'check_in'], required: false },
  { key: 'quiet_hours', zh: '免打扰时段', aliases: ['免打扰', 'quiet'], required: false },
  // Optional (issue 15): a household may have no contact yet; a file without these columns reads as such.
  { key: 'contact_name', zh: '紧急联系人', aliases: ['联系人', 'contact'], required: false },
  { key: 'contact_phone', zh: '联系电话', aliases: ['紧急联系电话', '联系人电话'], required: false },
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
  // Without a compound: the whole community's person (a tier per community).
  STREET,
  COMMUNITY,
] as const satisfies readonly ColumnSpec<string>[];

export type HouseholdColumn = (typeof HOUSEHOLD_COLUMNS)[number]['key'];
export type PeopleColumn = (typeof PEOPLE_COLUMNS)[number]['key'];

/** Header as exported: Chinese, then the English name in parentheses. */
export const exportHeader = (c: ColumnSpec<string>): string => `${c.zh}(${c.key})`;

/** Case, width (NFKC: full-width letters and brackets), spaces, `_` and `-` do not matter. */
export function normalizeName(text: string): string {
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
  if (header === undefined) return badCsv('文件没有表头行', 'the file has no header line');
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
        return badCsv(
          `表头第 ${index + 1} 列"${cell}"指向两个不同的列`,
          `header column ${index + 1} "${cell}" names two different columns`,
        );
      key = a ?? b;
    }
    if (key === undefined) {
      if (cell !== '') ignoredColumns.push(cell);
      continue;
    }
    const earlier = positions.get(key);
    if (earlier !== undefined)
      return badCsv(
        `表头第 ${earlier + 1} 列和第 ${index + 1} 列是同一列 ${key}`,
        `header columns ${earlier + 1} and ${index + 1} both name ${key}`,
      );
    positions.set(key, index);
  }
  const missing = columns.filter((c) => c.required && !positions.has(c.key));
  if (missing.length > 0) {
    const has = header.fields.map((f) => f.trim()).join(', ');
    return badCsv(
      `表头（第 1 行）缺少必填列 ${missing.map(exportHeader).join('、')}；现有的列：${has}`,
      `the header (line 1) lacks the column${missing.length > 1 ? 's' : ''} ${missing.map(exportHeader).join(', ')}; it has: ${has}`,
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
        errors.push(
          rowError(record.line, c.key, said('含有换行或控制字符', 'holds a line break or a control character')),
        );
      values[c.key] = value;
    }
    const extra = record.fields.slice(header.fields.length);
    if (extra.some((f) => f.trim() !== ''))
      errors.push(
        rowError(
          record.line,
          undefined,
          said(
            `本行有 ${record.fields.length} 个字段，表头只有 ${header.fields.length} 个`,
            `has ${record.fields.length} fields; the header has ${header.fields.length}`,
          ),
        ),
      );
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
  return readRecords({ records: parsed.records, encoding: decoded.encoding }, columns);
}

/** Records already read (from CSV or a workbook's first sheet) → a table of rows. */
export function readRecords<K extends string>(
  file: { records: readonly CsvRecord[]; encoding: Encoding },
  columns: readonly ColumnSpec<K>[],
): ({ ok: true; encoding: Encoding } & Table<K>) | RosterProblem {
  const table = readTable(file.records, columns);
  if (!table.ok) return table;
  return { ...table, encoding: file.encoding };
}
