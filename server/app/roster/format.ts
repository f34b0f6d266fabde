/**
 * Rosters: the households and the people of a community as CSV, the way communities keep them
 * in spreadsheets (issue 4, "Rosters"). Reading is pure (bytes → text → records → checked
 * rows); importing checks the rows against the database (in a worker thread) and writes them
 * all, in short transactions, or nothing (write.ts undoes a failed import); exporting writes the same columns back.
 *
 * The way of a file, one module a step: decode.ts (bytes → text), csv.ts (text → records, and
 * records → text for the export), columns.ts (records → rows by column), cells.ts (one cell →
 * a value, and back), read-households.ts / read-people.ts (rows → drafts, checks that need no
 * database), import.ts (drafts checked against the database), write.ts (what the check planned,
 * written in chunks), export.ts.
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

export type Encoding = 'utf-8' | 'gbk';
/** Every message of an import in Chinese (`reason`, the field clients have always read) and English (issue 15). */
export type Said = { reason: string; reasonEn: string };
/** A file that cannot be read at all: the answer is an error, not a report. */
export type RosterProblem = { ok: false; kind: 'badCsv' | 'tooLarge' } & Said;
export type RowError = { line: number; field?: string } & Said;

/** One message in both languages, Chinese first. */
export const said = (reason: string, reasonEn: string): Said => ({ reason, reasonEn });
/** A row's problem. */
export const rowError = (line: number, field: string | undefined, { reason, reasonEn }: Said): RowError =>
  field === undefined ? { line, reason, reasonEn } : { line, field, reason, reasonEn };
/** A problem that makes the whole file unreadable (as opposed to a bad row). */
export const badCsv = (reason: string, reasonEn: string): RosterProblem => ({
  ok: false,
  kind: 'badCsv',
  reason,
  reasonEn,
});
/** As an error message: "中文 / English". */
export const bothLanguages = (s: Said): string => `${s.reason} / ${s.reasonEn}`;
