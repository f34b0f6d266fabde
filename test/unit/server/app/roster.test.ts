import { describe, expect, it } from 'vitest';
import {
  formatCheckIn,
  parseCheckIn,
  parseQuietHours,
  parseRole,
  parseTier,
} from '../../../../server/app/roster/cells.js';
import { HOUSEHOLD_COLUMNS, PEOPLE_COLUMNS, readRosterFile, readTable } from '../../../../server/app/roster/columns.js';
import { csvCell, formatCsv, parseCsv } from '../../../../server/app/roster/csv.js';
import { decodeRoster } from '../../../../server/app/roster/decode.js';
import { ROSTER_LIMITS } from '../../../../server/app/roster/format.js';
import { readHouseholds } from '../../../../server/app/roster/read-households.js';
import { readPeople } from '../../../../server/app/roster/read-people.js';

/**
 * GBK bytes of a text, by inverting Node's own GBK decoder over the two-byte codes (Node can
 * decode GBK but not encode it). Anchored below by sequences known independently of Node.
 */
function gbk(text: string): Buffer {
  const table = gbkTable();
  const out: number[] = [];
  for (const ch of text) {
    if (ch.charCodeAt(0) < 0x80) out.push(ch.charCodeAt(0));
    else {
      const code = table.get(ch);
      if (code === undefined) throw new Error(`no GBK code for ${ch}`);
      out.push(code >> 8, code & 0xff);
    }
  }
  return Buffer.from(out);
}
let cachedTable: Map<string, number> | null = null;
function gbkTable(): Map<string, number> {
  if (cachedTable !== null) return cachedTable;
  const decoder = new TextDecoder('gbk', { fatal: true });
  const table = new Map<string, number>();
  for (let lead = 0x81; lead <= 0xfe; lead += 1) {
    for (let trail = 0x40; trail <= 0xfe; trail += 1) {
      if (trail === 0x7f) continue;
      try {
        const ch = decoder.decode(Uint8Array.of(lead, trail));
        if (!table.has(ch)) table.set(ch, (lead << 8) | trail);
      } catch {
        // not a character
      }
    }
  }
  cachedTable = table;
  return table;
}

const utf8 = (text: string) => Buffer.from(text, 'utf8');

describe('decodeRoster', () => {
  it('when the bytes are the GBK of 张三 (d5c5c8fd), then they read as 张三 in GBK', () => {
    expect(decodeRoster(Buffer.from('d5c5c8fd', 'hex'))).toEqual({ ok: true, text: '张三', encoding: 'gbk' });
  });

  it.each([
    ['张三', 'd5c5c8fd'],
    ['小区,姓名', 'd0a1c7f82cd0d5c3fb'],
  ])('when the test encoder writes %j, then it gives the known GBK bytes %s', (text, hex) => {
    expect(gbk(text).toString('hex')).toBe(hex);
  });

  it.each([
    ['UTF-8 without BOM', utf8('姓名\r\n张三\r\n'), '姓名\r\n张三\r\n', 'utf-8'],
    [
      'UTF-8 with BOM (the BOM is dropped)',
      Buffer.concat([Buffer.from('efbbbf', 'hex'), utf8('姓名\n张三\n')]),
      '姓名\n张三\n',
      'utf-8',
    ],
    ['plain ASCII', utf8('name\nZhang San\n'), 'name\nZhang San\n', 'utf-8'],
    [
      'GBK with Chinese headers',
      gbk('小区,楼栋,姓名\r\n阳光小区,1号楼,张三\r\n'),
      '小区,楼栋,姓名\r\n阳光小区,1号楼,张三\r\n',
      'gbk',
    ],
  ])('when the file is %s, then it reads as its text', (_what, bytes, text, encoding) => {
    expect(decodeRoster(bytes)).toEqual({ ok: true, text, encoding });
  });

  it.each([
    ['neither UTF-8 nor GBK (0xFF)', Buffer.from([0x61, 0x2c, 0xff, 0x0a]), /neither UTF-8 nor GBK/],
    ['a GBK lead byte cut off at the end', Buffer.from('d5c5c8', 'hex'), /neither UTF-8 nor GBK/],
    ['a GBK lead byte before a space', Buffer.from('d520', 'hex'), /neither UTF-8 nor GBK/],
    [
      'a GBK character, then 0xFF (ICU alone would read it as U+F8F5)',
      Buffer.from('d5c5ff', 'hex'),
      /neither UTF-8 nor GBK/,
    ],
    [
      'a UTF-8 BOM before bytes that are not UTF-8',
      Buffer.from('efbbbfd5c5c8fd', 'hex'),
      /byte order mark but is not valid UTF-8/,
    ],
    ['UTF-16 ("Unicode text" in Excel)', Buffer.from('fffe5959', 'hex'), /UTF-16/],
    ['an Excel workbook', Buffer.from('504b030414000600', 'hex'), /Excel workbook/],
    ['empty', Buffer.alloc(0), /empty/],
    ['text with NUL bytes', utf8('a\u0000b'), /binary data/],
  ])('when the file is %s, then it is not readable CSV', (_what, bytes, reason) => {
    const decoded = decodeRoster(bytes);
    expect(decoded).toMatchObject({ ok: false, kind: 'badCsv' });
    expect(decoded.ok ? '' : decoded.reason).toMatch(reason);
  });

  it('when the file is over 2 MiB, then it is too large', () => {
    expect(decodeRoster(Buffer.alloc(ROSTER_LIMITS.maxBytes + 1, 0x61))).toMatchObject({ ok: false, kind: 'tooLarge' });
    expect(decodeRoster(Buffer.alloc(ROSTER_LIMITS.maxBytes, 0x61)).ok).toBe(true);
  });
});

describe('parseCsv', () => {
  const records = (text: string) => {
    const parsed = parseCsv(text);
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.records;
  };

  it.each<[string, string, Array<[number, string[]]>]>([
    [
      'plain fields, LF',
      'a,b\nc,d\n',
      [
        [1, ['a', 'b']],
        [2, ['c', 'd']],
      ],
    ],
    [
      'CRLF',
      'a,b\r\nc,d\r\n',
      [
        [1, ['a', 'b']],
        [2, ['c', 'd']],
      ],
    ],
    [
      'a lone CR',
      'a\rb',
      [
        [1, ['a']],
        [2, ['b']],
      ],
    ],
    [
      'no line break at the end',
      'a,b\nc,d',
      [
        [1, ['a', 'b']],
        [2, ['c', 'd']],
      ],
    ],
    ['empty fields and a comma at the very end', ',a,,\n', [[1, ['', 'a', '', '']]]],
    ['a comma at the end of the text', 'a,', [[1, ['a', '']]]],
    ['a quoted comma', '"张三,李四",b\n', [[1, ['张三,李四', 'b']]]],
    ['escaped quotes', '"say ""hi""",""""\n', [[1, ['say "hi"', '"']]]],
    ['an empty quoted field', '"",x\n', [[1, ['', 'x']]]],
    [
      'a line break inside quotes (the next record starts two lines on)',
      '"a\nb",c\r\nd\n',
      [
        [1, ['a\nb', 'c']],
        [3, ['d']],
      ],
    ],
    [
      'a CRLF inside quotes',
      'h\n"a\r\nb"\nc\n',
      [
        [1, ['h']],
        [2, ['a\r\nb']],
        [4, ['c']],
      ],
    ],
    [
      'a blank line (kept here, skipped by readTable)',
      'a\n\nb\n',
      [
        [1, ['a']],
        [2, ['']],
        [3, ['b']],
      ],
    ],
    ['a stray quote inside an unquoted field (kept as text)', '5"号楼,b\n', [[1, ['5"号楼', 'b']]]],
    ['spaces (kept here, trimmed later)', ' a , b \n', [[1, [' a ', ' b ']]]],
  ])('when the text has %s, then the records are right', (_what, text, expected) => {
    expect(records(text).map((r) => [r.line, r.fields])).toEqual(expected);
  });

  it.each([
    ['a quote that is never closed', 'a,b\nc,"d\ne\n', /line 2: a quoted field is never closed/],
    ['text after a closing quote', 'a\n"b"c,d\n', /line 2: text after a closing quote/],
    ['text after a closing quote on a later line', 'a\n"b\nc"x\n', /line 3: text after a closing quote/],
  ])('when the text has %s, then it is refused with the line', (_what, text, reason) => {
    const parsed = parseCsv(text);
    expect(parsed.ok ? '' : parsed.reason).toMatch(reason);
  });

  it('when a field is longer than 500 characters, then the file is refused with its line and field', () => {
    expect(parseCsv(`a,b\nx,${'字'.repeat(500)}\n`).ok).toBe(true);
    const parsed = parseCsv(`a,b\nx,${'字'.repeat(501)}\n`);
    expect(parsed.ok ? '' : parsed.reason).toBe('line 2, field 2: longer than 500 characters');
    const quoted = parseCsv(`a\n"${'x'.repeat(501)}"\n`);
    expect(quoted.ok ? '' : quoted.reason).toBe('line 2, field 1: longer than 500 characters');
  });

  it('when there are more rows than the limit after the header, then the file is refused', () => {
    const limits = { maxRows: 3, maxFieldChars: 500 };
    expect(parseCsv('h\n1\n2\n3\n', limits).ok).toBe(true);
    const parsed = parseCsv('h\n1\n2\n3\n4\n', limits);
    expect(parsed.ok ? '' : parsed.reason).toMatch(/more than 3 rows/);
  });

  it('when the file has 20,000 rows, then it is read; at 20,001 it is refused', () => {
    const body = (n: number) => `name\n${'x\n'.repeat(n)}`;
    expect(parseCsv(body(ROSTER_LIMITS.maxRows)).ok).toBe(true);
    expect(parseCsv(body(ROSTER_LIMITS.maxRows + 1)).ok).toBe(false);
  });
});

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
    expect(t.ok ? '' : t.reason).toMatch(/lacks the column 姓名\(name\)/);
  });

  it('when two header cells name the same column, then the file is refused', () => {
    const t = table('小区,楼栋,房号,姓名,name,紧急联系人,联系电话\n');
    expect(t.ok ? '' : t.reason).toBe('header columns 4 and 5 both name name');
  });

  it('when the two parts of a header name different columns, then the file is refused', () => {
    const t = table('小区(building),楼栋,房号,姓名,紧急联系人,联系电话\n');
    expect(t.ok ? '' : t.reason).toMatch(/names two different columns/);
  });

  it('when the file is empty of records, then it has no header', () => {
    expect(readTable([], HOUSEHOLD_COLUMNS)).toMatchObject({ ok: false, reason: 'the file has no header line' });
  });

  it('when rows are blank, then they are skipped; when a row has extra non-empty fields, then that row is an error', () => {
    const t = table(`姓名,角色\n\n,\n张三,志愿者\n李四,志愿者,多余\n王五,志愿者,,\n`, PEOPLE_COLUMNS);
    expect(t.ok && t.rows.map((r) => [r.line, r.values.name, r.errors.map((e) => e.reason)])).toEqual([
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
      { line: 2, field: 'name', reason: 'holds a line break or a control character' },
    ]);
  });
});

describe('check-in, quiet hours, roles and tiers', () => {
  it.each([
    ['', null],
    ['24h+2h', { kind: 'interval', everySec: 86_400, graceSec: 7_200 }],
    ['每24小时+2小时', { kind: 'interval', everySec: 86_400, graceSec: 7_200 }],
    ['every 12h + 30m', { kind: 'interval', everySec: 43_200, graceSec: 1_800 }],
    ['1d', { kind: 'interval', everySec: 86_400, graceSec: 0 }],
    ['1h30m+15min', { kind: 'interval', everySec: 5_400, graceSec: 900 }],
    ['每日10:00', { kind: 'deadline', time: '10:00' }],
    ['每天 9:30', { kind: 'deadline', time: '09:30' }],
    ['daily 10:00', { kind: 'deadline', time: '10:00' }],
    ['Daily 23:59', { kind: 'deadline', time: '23:59' }],
    ['10:00', { kind: 'deadline', time: '10:00' }],
    ['每日１０：００', { kind: 'deadline', time: '10:00' }],
  ])('when the check-in is %j, then the policy is %j', (text, policy) => {
    expect(parseCheckIn(text)).toEqual({ ok: true, value: policy });
  });

  it.each([['sometimes'], ['24'], ['24h+'], ['每日25:00'], ['30s'], ['31d'], ['24h+31d'], ['24h+2h+1h']])(
    'when the check-in is %j, then it is not understood',
    (text) => {
      expect(parseCheckIn(text).ok).toBe(false);
    },
  );

  it.each(['24h+2h', '12h', '90m+30m', '61s+1s', '每日10:00', '每日00:00'])(
    'when %s is formatted back, then it reads the same',
    (text) => {
      const parsed = parseCheckIn(text);
      if (!parsed.ok) throw new Error(parsed.reason);
      expect(parseCheckIn(formatCheckIn(parsed.value))).toEqual(parsed);
    },
  );

  it.each([
    ['22:00-07:00', { start: '22:00', end: '07:00' }],
    ['22:00 ~ 7:00', { start: '22:00', end: '07:00' }],
    ['22:00至07:00', { start: '22:00', end: '07:00' }],
    ['', null],
    ['无', null],
  ])('when quiet hours are %j, then they are %j', (text, value) => {
    expect(parseQuietHours(text)).toEqual({ ok: true, value });
  });

  it.each([
    ['志愿者', 'volunteer'],
    ['党员中心户', 'center_household'],
    ['网格员', 'grid_worker'],
    ['党支部', 'party_branch'],
    ['值班员', 'duty_officer'],
    ['工作人员', 'staff'],
    ['Volunteer', 'volunteer'],
    ['center household', 'center_household'],
    ['GRID_WORKER', 'grid_worker'],
    ['boss', null],
  ])('when the role is %j, then it is %j', (text, role) => {
    expect(parseRole(text)).toBe(role);
  });

  it.each([
    ['1', 1],
    ['2', 2],
    ['3', 3],
    ['一级', 1],
    ['第二梯队', 2],
    ['Tier 3', 3],
    ['４', null],
    ['0', null],
  ])('when the tier is %j, then it is %j', (text, tier) => {
    expect(parseTier(text)).toBe(tier);
  });
});

describe('readHouseholds', () => {
  const header = '小区,楼栋,房号,姓名,时区,报平安方式,免打扰时段,紧急联系人,联系电话,关系';
  const read = (lines: string[]) => {
    const file = readRosterFile(utf8([header, ...lines].join('\r\n')), HOUSEHOLD_COLUMNS);
    if (!file.ok) throw new Error(file.reason);
    return readHouseholds(file.rows);
  };

  it('when rows are good, then each is a household; further rows of one household add its contacts', () => {
    const { households, errors } = read([
      '阳光小区,1号楼,101,张桂兰,,每日10:00,22:00-07:00,张女儿,13900000000,女儿',
      '阳光小区,1号楼,101,张桂兰,,,,张儿子,13900000001,儿子',
      '阳光小区,2号楼,,王奶奶,Asia/Urumqi,24h+2h,,,,',
    ]);
    expect(errors).toEqual([]);
    expect(households).toEqual([
      {
        line: 2,
        compound: '阳光小区',
        building: '1号楼',
        room: '101',
        name: '张桂兰',
        timezone: null,
        checkin: { kind: 'deadline', time: '10:00' },
        quietHours: { start: '22:00', end: '07:00' },
        contacts: [
          { line: 2, name: '张女儿', phone: '13900000000', relation: '女儿' },
          { line: 3, name: '张儿子', phone: '13900000001', relation: '儿子' },
        ],
      },
      {
        line: 4,
        compound: '阳光小区',
        building: '2号楼',
        room: '',
        name: '王奶奶',
        timezone: 'Asia/Urumqi',
        checkin: { kind: 'interval', everySec: 86_400, graceSec: 7_200 },
        quietHours: null,
        contacts: [],
      },
    ]);
  });

  it('when rows are bad, then every bad row is reported with its line, field and reason', () => {
    const { households, errors } = read([
      '阳光小区,1号楼,101,,,,,,,', // 2: no name
      '阳光小区,1号楼,102,李四,Mars/Olympus,sometimes,,张女儿,call me,', // 3: zone, check-in, phone
      '阳光小区,1号楼,103,王五,,,,赵六,,', // 4: contact without phone
      '阳光小区,1号楼,104,钱七,,,,,,女儿', // 5: relation without contact
      '阳光小区,1号楼,105,孙八,,,25:00-07:00,,,', // 6: quiet hours
      '阳光小区,1号楼,106,周九,,,,,,', // 7: good
      '阳光小区,1号楼,106,周九,,,,,,', // 8: repeats 7 without a contact
      '阳光小区,1号楼,106,周九,,每日10:00,,周女儿,139,', // 9: differs from 7
    ]);
    expect(errors).toEqual([
      { line: 2, field: 'name', reason: 'is empty' },
      { line: 3, field: 'timezone', reason: '"Mars/Olympus" is not a time zone such as Asia/Shanghai' },
      { line: 3, field: 'checkin', reason: expect.stringMatching(/^"sometimes" is not understood: write "24h\+2h"/) },
      { line: 3, field: 'contact_phone', reason: '"call me" is not a phone number (3–20 digits, +, - or spaces)' },
      { line: 4, field: 'contact_phone', reason: 'is empty (a contact needs a phone number)' },
      { line: 5, field: 'relation', reason: 'is given without a contact' },
      { line: 6, field: 'quiet_hours', reason: expect.stringMatching(/not understood/) },
      { line: 8, reason: 'repeats the household of line 7; a further row of a household adds a contact' },
      { line: 9, field: 'checkin', reason: "differs from line 7 (a household's settings are read from its first row)" },
    ]);
    expect(households.map((h) => h.line)).toEqual([7]);
  });

  it('when a name is longer than 100 characters, then that row is an error', () => {
    expect(read([`阳光小区,1号楼,101,${'长'.repeat(101)},,,,,,`]).errors).toEqual([
      { line: 2, field: 'name', reason: 'is longer than 100 characters' },
    ]);
  });
});

describe('readPeople', () => {
  const read = (text: string) => {
    const file = readRosterFile(utf8(text), PEOPLE_COLUMNS);
    if (!file.ok) throw new Error(file.reason);
    return readPeople(file.rows);
  };

  it('when roles are Chinese words and tiers are left out, then the usual tier of the role is taken', () => {
    const { people, errors } = read(
      '姓名,电话,角色,层级,小区,楼栋\n李志愿,13800000001,志愿者,,阳光小区,1号楼\n王网格,,网格员,,阳光小区,\n赵值班,13800000003,值班员,,,\n孙工作,,工作人员,2,阳光小区,\n',
    );
    expect(errors).toEqual([]);
    expect(people).toEqual([
      {
        line: 2,
        name: '李志愿',
        phone: '13800000001',
        role: 'volunteer',
        tier: 1,
        compound: '阳光小区',
        building: '1号楼',
      },
      { line: 3, name: '王网格', phone: null, role: 'grid_worker', tier: 2, compound: '阳光小区', building: null },
      { line: 4, name: '赵值班', phone: '13800000003', role: 'duty_officer', tier: 3, compound: null, building: null },
      { line: 5, name: '孙工作', phone: null, role: 'staff', tier: 2, compound: '阳光小区', building: null },
    ]);
  });

  it('when rows are bad, then each is reported', () => {
    const { errors } = read(
      'name,phone,role,tier,compound,building\nA,,boss,,,\nB,,staff,,,\nC,x,volunteer,4,,1号楼\nD,,volunteer,,X,\nD,,volunteer,,X,\n',
    );
    expect(errors).toEqual([
      { line: 2, field: 'role', reason: expect.stringMatching(/^"boss" is not a role: 志愿者, 党员中心户/) },
      { line: 3, field: 'tier', reason: 'is empty; 工作人员 (staff) needs a tier: 1, 2 or 3' },
      { line: 4, field: 'phone', reason: '"x" is not a phone number (3–20 digits, +, - or spaces)' },
      { line: 4, field: 'tier', reason: '"4" is not a tier: 1, 2 or 3' },
      { line: 4, field: 'building', reason: 'is given without a compound' },
      { line: 6, reason: 'repeats line 5' },
    ]);
  });
});

describe('export cells', () => {
  it.each([
    ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
    ['+86 139', "'+86 139"],
    ['-1', "'-1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tcmd', "'\tcmd"],
    ['\rcmd', `"'\rcmd"`],
    ['张三', '张三'],
    ['a=b', 'a=b'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['', ''],
  ])('when a cell is %j, then it is written %j', (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });

  it('when rows are formatted, then records end in CRLF and read back the same', () => {
    const rows = [
      ['姓名(name)', '电话(phone)'],
      ['张,三', 'say "hi"'],
      ['=1+2', ''],
    ];
    const csv = formatCsv(rows);
    expect(csv).toBe(`姓名(name),电话(phone)\r\n"张,三","say ""hi"""\r\n'=1+2,\r\n`);
    const parsed = parseCsv(csv);
    expect(parsed.ok && parsed.records.map((r) => r.fields)).toEqual([
      ['姓名(name)', '电话(phone)'],
      ['张,三', 'say "hi"'],
      ["'=1+2", ''],
    ]);
  });
});
