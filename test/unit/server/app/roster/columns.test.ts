import { describe, expect, it } from 'vitest';
import { HOUSEHOLD_COLUMNS, PEOPLE_COLUMNS, readTable } from '../../../../../server/app/roster/columns.js';
import { parseCsv } from '../../../../../server/app/roster/csv.js';

describe('readTable (headers)', () => {
  const table = (text: string, columns: typeof HOUSEHOLD_COLUMNS | typeof PEOPLE_COLUMNS = HOUSEHOLD_COLUMNS) => {
    const parsed = parseCsv(text);
    if (!parsed.ok) throw new Error(parsed.reason);
    return readTable(parsed.records, columns);
  };
  const row = '阳光小区,1号楼,101,张三,张女儿,13900000000\n';

  it.each([
    ['Chinese', '小区,楼栋,房号,姓名,紧急联系人,联系电话'],
    ['English', 'compound,building,room,name,contact_name,contact_phone'],
    ['English with other case and spaces', ' Compound ,BUILDING,Room,Name,Contact Name,contact-phone'],
    ['Chinese aliases', '小区名称,楼号,室,老人姓名,联系人,紧急联系电话'],
    [
      'as exported, Chinese (English)',
      '小区(compound),楼栋(building),房号(room),姓名(name),紧急联系人(contact_name),联系电话(contact_phone)',
    ],
    [
      'with full-width brackets and a BOM left in',
      '\uFEFF小区（compound）,楼栋（building）,房号,姓名,紧急联系人,联系电话',
    ],
  ])('when the header is %s, then every column is found', (_what, header) => {
    const t = table(`${header}\n${row}`);
    expect(t).toMatchObject({ ok: true, ignoredColumns: [] });
    expect(t.ok && t.rows[0]?.values).toMatchObject({
      compound: '阳光小区',
      building: '1号楼',
      room: '101',
      name: '张三',
      contact_name: '张女儿',
      contact_phone: '13900000000',
      checkin: '',
      timezone: '',
    });
  });

  it('when columns come in another order with unknown ones, then they are read by name and the unknown listed', () => {
    const t = table(
      '序号,姓名,备注,联系电话,紧急联系人,房号,楼栋,小区\n1,张三,腿脚不便,13900000000,张女儿,101,1号楼,阳光小区\n',
    );
    expect(t).toMatchObject({ ok: true, ignoredColumns: ['序号', '备注'] });
    expect(t.ok && t.rows[0]?.values).toMatchObject({
      compound: '阳光小区',
      name: '张三',
      contact_phone: '13900000000',
    });
  });

  it('when a required column is missing, then the file is refused naming it', () => {
    const t = table('小区,楼栋,房号,紧急联系人,联系电话\n');
    expect(t.ok ? '' : t.reasonEn).toMatch(/lacks the column 姓名\(name\)/);
  });

  it('when two header cells name the same column, then the file is refused', () => {
    const t = table('小区,楼栋,房号,姓名,name,紧急联系人,联系电话\n');
    expect(t.ok ? '' : t.reasonEn).toBe('header columns 4 and 5 both name name');
  });

  it('when the two parts of a header name different columns, then the file is refused', () => {
    const t = table('小区(building),楼栋,房号,姓名,紧急联系人,联系电话\n');
    expect(t.ok ? '' : t.reasonEn).toMatch(/names two different columns/);
  });

  it('when the file is empty of records, then it has no header', () => {
    expect(readTable([], HOUSEHOLD_COLUMNS)).toMatchObject({
      ok: false,
      reason: '文件没有表头行',
      reasonEn: 'the file has no header line',
    });
  });

  it('when rows are blank, then they are skipped; when a row has extra non-empty fields, then that row is an error', () => {
    const t = table(`姓名,角色\n\n,\n张三,志愿者\n李四,志愿者,多余\n王五,志愿者,,\n`, PEOPLE_COLUMNS);
    expect(t.ok && t.rows.map((r) => [r.line, r.values.name, r.errors.map((e) => e.reasonEn)])).toEqual([
      [4, '张三', []],
      [5, '李四', ['has 3 fields; the header has 2']],
      [6, '王五', []],
    ]);
  });

  it("when a cell was escaped by the export ('=…), then the ' is removed; other leading quotes stay", () => {
    const t = table(`姓名,电话,角色\n"'=HYPERLINK(""x"")",'+86 139,志愿者\n'O'Brien,139,志愿者\n`, PEOPLE_COLUMNS);
    expect(t.ok && t.rows.map((r) => [r.values.name, r.values.phone])).toEqual([
      ['=HYPERLINK("x")', '+86 139'],
      ["'O'Brien", '139'],
    ]);
  });

  it('when a cell holds a line break, then that field is an error', () => {
    const t = table('姓名,角色\n"张\n三",志愿者\n', PEOPLE_COLUMNS);
    expect(t.ok && t.rows[0]?.errors).toEqual([
      { line: 2, field: 'name', reason: '含有换行或控制字符', reasonEn: 'holds a line break or a control character' },
    ]);
  });
});
