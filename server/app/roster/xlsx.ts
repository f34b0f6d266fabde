import { InvalidInputError, readSheet } from 'read-excel-file/node';
import { type CsvRecord, tooManyRows } from './csv.js';
import { badCsv, ROSTER_LIMITS, type RosterProblem } from './format.js';
import { checkZip } from './zip-guard.js';

// An .xlsx roster (issue 15): the first sheet, every cell as the text staff see in it, so that the
// rest of the import reads it exactly as a CSV. read-excel-file parses the workbook (a zip of XML
// with shared strings, styles and dates: not something to write by hand); numbers are kept as the
// text the file stores (room 201 stays "201", not 201.0; a phone number keeps its 11 digits), and a
// cell formatted as a date or a time is written as staff read it (2026-05-01, 10:00).

const pad = (n: number) => String(n).padStart(2, '0');

/** A date cell as text: the time alone for a time of day (Excel stores it on 1899-12-30), the day alone at midnight. */
export function dateCellText(d: Date): string {
  const day = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const seconds = d.getUTCSeconds();
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${seconds === 0 ? '' : `:${pad(seconds)}`}`;
  if (d.getUTCFullYear() < 1900) return time;
  return time === '00:00' ? day : `${day} ${time}`;
}

/** A number as stored ("201", "13800138000"); one in exponent form that is a whole number, in digits. */
export function numberCellText(stored: string): string {
  if (!/e/i.test(stored)) return stored;
  const n = Number(stored);
  return Number.isSafeInteger(n) ? String(n) : stored;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : dateCellText(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  return String(value);
}

const NOT_XLSX = badCsv(
  '文件不是 .xlsx 工作簿；旧的 .xls 请在 Excel 或 WPS 中另存为 .xlsx，或另存为"CSV UTF-8 (逗号分隔)"',
  'the file is not an .xlsx workbook; save an old .xls as .xlsx, or as "CSV UTF-8 (逗号分隔)"',
);

/** The first sheet's rows as records (line = the sheet's row number), or why the file cannot be read. */
export async function readXlsxRecords(bytes: Uint8Array): Promise<{ ok: true; records: CsvRecord[] } | RosterProblem> {
  if (bytes.length > ROSTER_LIMITS.maxBytes)
    return {
      ok: false,
      kind: 'tooLarge',
      reason: `文件大于 ${ROSTER_LIMITS.maxBytes} 字节 (2 MiB)，请分成几个文件`,
      reasonEn: `the file is larger than ${ROSTER_LIMITS.maxBytes} bytes (2 MiB)`,
    };
  if (bytes.length === 0) return badCsv('文件是空的', 'the file is empty');
  if (!(bytes[0] === 0x50 && bytes[1] === 0x4b)) return NOT_XLSX;
  const unsafe = checkZip(bytes);
  if (unsafe !== null) return { ok: false, kind: 'badCsv', ...unsafe };
  let rows: unknown[][];
  try {
    // parseNumber: the number as the file stores it, never through a float.
    rows = await readSheet<string>(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 1, {
      parseNumber: (stored) => numberCellText(stored),
      trim: false,
    });
  } catch (err) {
    if (err instanceof InvalidInputError) return NOT_XLSX;
    const why = err instanceof Error ? err.message.slice(0, 200) : String(err);
    return badCsv(
      '无法读取这个 .xlsx 工作簿的第一个工作表；请在 Excel 或 WPS 中重新保存后再上传',
      `the first sheet of this .xlsx workbook cannot be read (${why})`,
    );
  }
  if (rows.length > ROSTER_LIMITS.maxRows + 1) return tooManyRows(ROSTER_LIMITS.maxRows);
  const records: CsvRecord[] = [];
  for (const [index, row] of rows.entries()) {
    const fields = row.map(cellText);
    const long = fields.findIndex((f) => f.length > ROSTER_LIMITS.maxFieldChars);
    if (long >= 0)
      return badCsv(
        `第 ${index + 1} 行第 ${long + 1} 列超过 ${ROSTER_LIMITS.maxFieldChars} 个字符`,
        `row ${index + 1}, column ${long + 1}: longer than ${ROSTER_LIMITS.maxFieldChars} characters`,
      );
    records.push({ line: index + 1, fields });
  }
  return { ok: true, records };
}
