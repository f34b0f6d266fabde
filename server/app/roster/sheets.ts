import writeXlsxFile, { type Cell, type SheetData } from 'write-excel-file/node';
import { type ColumnSpec, HOUSEHOLD_COLUMNS, PEOPLE_COLUMNS } from './columns.js';
import { escapeFormula } from './csv.js';
import type { RosterKind } from './import.js';

// Rosters written as .xlsx (issue 15): the export, and the templates staff fill in. Every cell is
// text (format "@"), so Excel neither turns room 201 or a phone number into a number nor a
// "1-2" into a date when someone types over it; a cell that a spreadsheet would run as a formula
// gets the export's `'` in front (csv.ts), which the import takes off again.

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const textCell = (value: string, bold = false): Cell => ({
  value: escapeFormula(value),
  type: String,
  format: '@',
  ...(bold ? { fontWeight: 'bold' as const } : {}),
});

const width = (rows: readonly (readonly string[])[], i: number) =>
  Math.min(40, Math.max(8, ...rows.slice(0, 200).map((r) => [...(r[i] ?? '')].length * 1.6 + 2)));

/** One sheet of text, the first row in bold (a header). */
function sheetOf(name: string, rows: readonly (readonly string[])[]) {
  const data: SheetData = rows.map((r, at) => r.map((v) => textCell(v, at === 0)));
  const columns = (rows[0] ?? []).map((_, i) => ({ width: width(rows, i) }));
  return { sheet: name, data, columns, stickyRowsCount: 1 };
}

/** A workbook of one sheet or more (rows of text, each sheet's header first). */
export async function writeWorkbook(sheets: ReadonlyArray<{ name: string; rows: readonly (readonly string[])[] }>) {
  return writeXlsxFile(sheets.map((s) => sheetOf(s.name, s.rows))).toBuffer();
}

/** The template's columns: the required ones, then the optional ones; 街道 and 社区 last (most deployments have one community). */
function templateColumns(kind: RosterKind): ColumnSpec<string>[] {
  const all: readonly ColumnSpec<string>[] = kind === 'households' ? HOUSEHOLD_COLUMNS : PEOPLE_COLUMNS;
  const rank = (c: ColumnSpec<string>) => (c.key === 'street' || c.key === 'community' ? 2 : c.required ? 0 : 1);
  return [...all].sort((a, b) => rank(a) - rank(b));
}

/** What each column holds, Chinese then English (docs/rosters.md says the same). */
export const COLUMN_HELP: Record<RosterKind, Record<string, readonly [zh: string, en: string, example: string]>> = {
  households: {
    compound: ['小区名称；不存在时由管理员的导入新建', 'the compound; an admin’s import creates a new one', '幸福小区'],
    building: ['楼栋名称；不存在时新建', 'the building; created if new', '3号楼'],
    room: [
      '房号；同一小区、楼栋、房号只登记一户（姓名不同即为改名）；没有房号时按姓名区分',
      'the room; one open household a room (another name there is a rename); without a room the name tells households apart',
      '201',
    ],
    name: ['老人姓名', 'the elder’s name', '张三'],
    timezone: ['时区，留空为 Asia/Shanghai', 'time zone, empty for Asia/Shanghai', ''],
    checkin: [
      '报平安方式："24h+2h"（每 24 小时，宽限 2 小时）或"每日10:00"；留空为默认 24h+2h',
      'check-in rule: "24h+2h" (every 24 hours, 2 hours’ grace) or "每日10:00" (daily by 10:00); empty for 24h+2h',
      '24h+2h',
    ],
    quiet_hours: [
      '免打扰时段，如"22:00-07:00"；留空为无',
      'quiet hours such as "22:00-07:00"; empty for none',
      '22:00-07:00',
    ],
    contact_name: [
      '紧急联系人姓名；一户有几位联系人就写几行（小区、楼栋、房号、姓名相同）',
      'an emergency contact; one row per contact (same compound, building, room and name)',
      '李四',
    ],
    contact_phone: [
      '紧急联系人的手机号（11 位，可带 +86）',
      'the contact’s mobile number (11 digits, +86 allowed)',
      '13800138000',
    ],
    relation: ['联系人与老人的关系', 'the contact’s relation to the elder', '儿子'],
    street: ['街道（有多个街道时填写）', 'the street (when there are several)', ''],
    community: ['社区（有多个社区时填写）', 'the community (when there are several)', ''],
  },
  people: {
    name: ['姓名', 'name', '王芳'],
    phone: ['手机号（11 位，可带 +86）', 'mobile number (11 digits, +86 allowed)', '13900139000'],
    role: [
      '角色：志愿者、党员中心户、网格员、党支部、值班员、工作人员',
      'role: 志愿者 volunteer, 党员中心户 center_household, 网格员 grid_worker, 党支部 party_branch, 值班员 duty_officer, 工作人员 staff',
      '志愿者',
    ],
    tier: [
      '层级 1、2 或 3；留空按角色（工作人员必填）',
      'tier 1, 2 or 3; empty for the role’s usual one (staff must give one)',
      '1',
    ],
    compound: [
      '小区（须已存在）；留空为全社区的人员（仅管理员）',
      'the compound (must exist); empty: the whole community’s (admins only)',
      '幸福小区',
    ],
    building: ['楼栋（须已存在，需先填小区）', 'the building (must exist; needs a compound)', '3号楼'],
    street: ['街道（有多个街道时填写）', 'the street (when there are several)', ''],
    community: ['社区（全社区的人员填写）', 'the community (for a whole community’s person)', ''],
  },
};

export const TEMPLATE_NAME: Record<RosterKind, string> = {
  households: '住户名单模板.xlsx',
  people: '人员名单模板.xlsx',
};

/** The template: a sheet with the headers and one example row, and a sheet 说明 (each column explained). */
export async function writeTemplate(kind: RosterKind): Promise<Buffer> {
  const columns = templateColumns(kind);
  const help = COLUMN_HELP[kind];
  const example = columns.map((c) => help[c.key]?.[2] ?? '');
  const notes = [
    ['列名', 'Column', '必填', 'Required', '说明', 'Format'],
    ...columns.map((c) => [
      c.zh,
      c.key,
      c.required ? '必填' : '选填',
      c.required ? 'required' : 'optional',
      help[c.key]?.[0] ?? '',
      help[c.key]?.[1] ?? '',
    ]),
  ];
  return writeWorkbook([
    { name: kind === 'households' ? '住户名单' : '人员名单', rows: [columns.map((c) => c.zh), example] },
    { name: '说明', rows: notes },
  ]);
}
