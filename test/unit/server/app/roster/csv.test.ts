import { describe, expect, it } from 'vitest';
import { csvCell, formatCsv, parseCsv } from '../../../../../server/app/roster/csv.js';
import { ROSTER_LIMITS } from '../../../../../server/app/roster/format.js';

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
    expect(parsed.ok ? '' : parsed.reasonEn).toMatch(reason);
  });

  it('when a field is longer than 500 characters, then the file is refused with its line and field', () => {
    expect(parseCsv(`a,b\nx,${'字'.repeat(500)}\n`).ok).toBe(true);
    const parsed = parseCsv(`a,b\nx,${'字'.repeat(501)}\n`);
    expect(parsed.ok ? '' : parsed.reasonEn).toBe('line 2, field 2: longer than 500 characters');
    const quoted = parseCsv(`a\n"${'x'.repeat(501)}"\n`);
    expect(quoted.ok ? '' : quoted.reasonEn).toBe('line 2, field 1: longer than 500 characters');
  });

  it('when there are more rows than the limit after the header, then the file is refused', () => {
    const limits = { maxRows: 3, maxFieldChars: 500 };
    expect(parseCsv('h\n1\n2\n3\n', limits).ok).toBe(true);
    const parsed = parseCsv('h\n1\n2\n3\n4\n', limits);
    expect(parsed.ok ? '' : parsed.reasonEn).toMatch(/more than 3 rows/);
  });

  it('when the file has 20,000 rows, then it is read; at 20,001 it is refused', () => {
    const body = (n: number) => `name\n${'x\n'.repeat(n)}`;
    expect(parseCsv(body(ROSTER_LIMITS.maxRows)).ok).toBe(true);
    expect(parseCsv(body(ROSTER_LIMITS.maxRows + 1)).ok).toBe(false);
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
