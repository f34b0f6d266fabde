import { badCsv, type Encoding, ROSTER_LIMITS, type RosterProblem } from './format.js';

const NEITHER = [
  '文件既不是 UTF-8 也不是 GBK 文本；请在 Excel 中另存为"CSV UTF-8 (逗号分隔)"，或直接上传 .xlsx',
  'the file is neither UTF-8 nor GBK text; save it from Excel as "CSV UTF-8 (逗号分隔)", or upload the .xlsx',
] as const;

/** The text of a roster file, or why it is not readable text. */
export function decodeRoster(bytes: Uint8Array): { ok: true; text: string; encoding: Encoding } | RosterProblem {
  if (bytes.length > ROSTER_LIMITS.maxBytes)
    return {
      ok: false,
      kind: 'tooLarge',
      reason: `文件大于 ${ROSTER_LIMITS.maxBytes} 字节 (2 MiB)，请分成几个文件`,
      reasonEn: `the file is larger than ${ROSTER_LIMITS.maxBytes} bytes (2 MiB)`,
    };
  if (bytes.length === 0) return badCsv('文件是空的', 'the file is empty');
  const starts = (...prefix: number[]) => prefix.every((b, i) => bytes[i] === b);
  // Common wrong files, named so the person knows what to do in Excel.
  if (starts(0xff, 0xfe) || starts(0xfe, 0xff))
    return badCsv(
      '文件是 UTF-16（"Unicode 文本"）；请另存为"CSV UTF-8 (逗号分隔)"或"CSV (逗号分隔)"',
      'the file is UTF-16 ("Unicode text"); save it as "CSV UTF-8 (逗号分隔)" or "CSV (逗号分隔)"',
    );
  if (starts(0x50, 0x4b, 0x03, 0x04) || starts(0xd0, 0xcf, 0x11, 0xe0))
    return badCsv(
      '文件是 Excel 工作簿，不是 CSV；请以 .xlsx 上传（content-type 为 xlsx），或另存为"CSV UTF-8 (逗号分隔)"',
      'the file is an Excel workbook, not CSV; send it as .xlsx (the xlsx content type), or save it as "CSV UTF-8 (逗号分隔)"',
    );
  const hasBom = starts(0xef, 0xbb, 0xbf);
  let text: string | null = null;
  let encoding: Encoding = 'utf-8';
  try {
    // ignoreBOM false: a leading BOM is removed.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    if (hasBom)
      return badCsv(
        '文件以 UTF-8 字节顺序标记开头，但内容不是有效的 UTF-8',
        'the file starts with a UTF-8 byte order mark but is not valid UTF-8',
      );
  }
  if (text === null) {
    // No GBK (nor GB18030) sequence has a 0xFF byte, but ICU's decoder reads one as U+F8F5
    // instead of failing, so it is refused here.
    if (bytes.includes(0xff)) return badCsv(...NEITHER);
    try {
      // WHATWG "gbk" is decoded as GB18030, a superset: what Excel saves in China reads right.
      text = new TextDecoder('gbk', { fatal: true }).decode(bytes);
      encoding = 'gbk';
    } catch {
      return badCsv(...NEITHER);
    }
  }
  if (text.includes('\u0000'))
    return badCsv(
      '文件含有二进制数据（NUL 字节），不是 CSV 文本',
      'the file holds binary data (NUL bytes), not CSV text',
    );
  return { ok: true, text, encoding };
}
