import { inflateRawSync } from 'node:zlib';
import { type Said, said } from './format.js';

// An .xlsx is a zip archive. A 2 MiB zip can inflate to gigabytes (a "zip bomb"); the reader
// (read-excel-file) inflates every XML part it finds into memory, reading the archive as a
// stream of local headers. So before it runs, every byte of the archive is accounted for here:
// the central directory lists the entries, they lie one after another from byte 0 up to the
// directory (nothing hidden between them that a streaming reader would meet), and each one is
// inflated, with the output capped, so the sum of what they really hold is under the budget.

/** What the XML parts of a roster workbook may hold in all: 20,000 rows of text are ~15 MB. */
export const XLSX_MAX_INFLATED_BYTES = 64 * 1024 * 1024;
export const XLSX_MAX_ENTRIES = 1000;

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const DESCRIPTOR = 0x08074b50;

const broken = (en: string): Said =>
  said(
    '文件不是有效的 .xlsx 工作簿（压缩包已损坏）；请在 Excel 或 WPS 中重新保存后再上传',
    `not a valid .xlsx workbook: ${en}`,
  );

/** null when the archive is sound and within the budget; else why not. */
export function checkZip(bytes: Uint8Array, budget = XLSX_MAX_INFLATED_BYTES): Said | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (at: number) => (at + 4 <= bytes.length ? view.getUint32(at, true) : -1);
  const u16 = (at: number) => (at + 2 <= bytes.length ? view.getUint16(at, true) : -1);
  // The end of central directory record: 22 bytes, then a comment of up to 65,535.
  let eocd = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
    if (u32(at) === EOCD) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) return broken('no zip directory');
  const count = u16(eocd + 10);
  const dirSize = u32(eocd + 12);
  const dirStart = u32(eocd + 16);
  // 0xFFFF / 0xFFFFFFFF mean ZIP64, which no roster needs.
  if (count === 0xffff || dirStart === 0xffffffff || dirStart + dirSize !== eocd) return broken('a bad zip directory');
  if (count > XLSX_MAX_ENTRIES) return broken(`more than ${XLSX_MAX_ENTRIES} parts`);
  const entries: Array<{ local: number; method: number; size: number; flags: number }> = [];
  let at = dirStart;
  for (let i = 0; i < count; i++) {
    if (u32(at) !== CENTRAL) return broken('a bad zip directory entry');
    entries.push({ flags: u16(at + 8), method: u16(at + 10), size: u32(at + 20), local: u32(at + 42) });
    at += 46 + u16(at + 28) + u16(at + 30) + u16(at + 32);
  }
  if (at !== eocd) return broken('a bad zip directory');
  entries.sort((a, b) => a.local - b.local);
  let expected = 0;
  let left = budget;
  for (const e of entries) {
    if (e.local !== expected || u32(e.local) !== LOCAL) return broken('parts that do not follow one another');
    const dataStart = e.local + 30 + u16(e.local + 26) + u16(e.local + 28);
    const dataEnd = dataStart + e.size;
    if (dataEnd > dirStart) return broken('a part runs past the end');
    const data = bytes.subarray(dataStart, dataEnd);
    let inflated: number;
    if (e.method === 0) inflated = data.length;
    else if (e.method === 8) {
      try {
        inflated = inflateRawSync(data, { maxOutputLength: Math.max(1, left) }).length;
      } catch (err) {
        if (err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
          return tooBig(budget);
        return broken('a part does not inflate');
      }
    } else return broken(`compression method ${e.method}`);
    left -= inflated;
    if (left < 0) return tooBig(budget);
    // Bit 3: sizes in a data descriptor after the data (12 bytes, or 16 with its signature).
    expected = dataEnd;
    if ((e.flags & 8) !== 0) expected += u32(dataEnd) === DESCRIPTOR ? 16 : 12;
  }
  if (expected !== dirStart) return broken('bytes between the parts and the directory');
  return null;
}

const tooBig = (budget: number): Said =>
  said(
    `工作簿解压后超过 ${budget / 1024 / 1024} MiB，不像是名单（可能是"压缩炸弹"）；请只保留名单所在的工作表`,
    `the workbook inflates to more than ${budget / 1024 / 1024} MiB: not a roster (a zip bomb?); keep only the roster's sheet`,
  );
