import { badCsv, ROSTER_LIMITS, type RosterProblem } from './format.js';

// RFC 4180 both ways: records read with the line each starts on, and cells written so that a
// spreadsheet neither splits them nor runs them as formulas.

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
    badCsv(
      `第 ${at} 行第 ${fields.length + 1} 个字段超过 ${limits.maxFieldChars} 个字符`,
      `line ${at}, field ${fields.length + 1}: longer than ${limits.maxFieldChars} characters`,
    );

  while (i < n) {
    let field: string;
    if (text[i] === '"') {
      // RFC 4180 §2.5–2.7: a quoted field; "" is one quote; line breaks are part of the field.
      const startLine = line;
      i += 1;
      field = '';
      for (;;) {
        if (i >= n)
          return badCsv(
            `第 ${startLine} 行：引号内的字段没有结束（少了一个引号）`,
            `line ${startLine}: a quoted field is never closed (a quote is missing)`,
          );
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
        return badCsv(
          `第 ${line} 行：结束引号后还有文字；引号内的字段里，引号要写两次 ("")`,
          `line ${line}: text after a closing quote; inside a quoted field a quote is written twice ("")`,
        );
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
    if (records.length > limits.maxRows + 1) return tooManyRows(limits.maxRows);
    fields = [];
    line += 1;
    recordLine = line;
  }
  return { ok: true, records };
}

export const tooManyRows = (maxRows: number) =>
  badCsv(`文件超过 ${maxRows} 行，请分成几个文件`, `the file has more than ${maxRows} rows; split it`);

const FORMULA_START = /^[=+\-@\t\r]/;

/** Undoes the export's formula escape (see `csvCell`). */
export function unescapeCell(raw: string): string {
  return raw.startsWith("'") && FORMULA_START.test(raw.slice(1)) ? raw.slice(1) : raw;
}

/** A cell a spreadsheet would run as a formula, with a `'` in front (CSV and .xlsx alike). */
export const escapeFormula = (value: string): string => (FORMULA_START.test(value) ? `'${value}` : value);

/** UTF-8 byte order mark: without it Excel reads a UTF-8 CSV as the local code page (GBK) and garbles Chinese. */
export const CSV_BOM = '\uFEFF';

/**
 * One cell. OWASP "CSV Injection": a cell starting with =, +, -, @, tab or CR is a formula to
 * a spreadsheet, so it gets a leading `'` (read back by the import). RFC 4180 §2.6–2.7: a cell
 * with a quote, comma or line break is quoted, its quotes doubled.
 */
export function csvCell(value: string): string {
  const safe = escapeFormula(value);
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Records joined with CRLF (RFC 4180 §2.1), ending in CRLF. */
export function formatCsv(rows: ReadonlyArray<readonly string[]>): string {
  return rows.map((r) => `${r.map(csvCell).join(',')}\r\n`).join('');
}
