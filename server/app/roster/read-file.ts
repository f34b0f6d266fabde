import { parseCsv } from './csv.js';
import { decodeRoster } from './decode.js';
import type { RosterProblem } from './format.js';
import type { RosterFormat, RosterRecords } from './import.js';
import { readXlsxRecords } from './xlsx.js';

/**
 * A roster file's records, from CSV (UTF-8 or GBK) or from an .xlsx workbook's first sheet. Runs
 * where the check runs (a roster checker's worker thread), before the database is read.
 */
export async function readRosterRecords(
  format: RosterFormat,
  bytes: Uint8Array,
): Promise<RosterRecords | RosterProblem> {
  if (format === 'xlsx') {
    const read = await readXlsxRecords(bytes);
    return read.ok ? { ok: true, records: read.records, encoding: 'utf-8', format } : read;
  }
  const decoded = decodeRoster(bytes);
  if (!decoded.ok) return decoded;
  const parsed = parseCsv(decoded.text);
  if (!parsed.ok) return parsed;
  return { ok: true, records: parsed.records, encoding: decoded.encoding, format };
}
