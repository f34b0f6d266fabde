import { describe, expect, it } from 'vitest';
import { decodeRoster } from '../../../../../server/app/roster/decode.js';
import { ROSTER_LIMITS } from '../../../../../server/app/roster/format.js';

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
    expect(decoded.ok ? '' : decoded.reasonEn).toMatch(reason);
  });

  it('when the file is over 2 MiB, then it is too large', () => {
    expect(decodeRoster(Buffer.alloc(ROSTER_LIMITS.maxBytes + 1, 0x61))).toMatchObject({ ok: false, kind: 'tooLarge' });
    expect(decodeRoster(Buffer.alloc(ROSTER_LIMITS.maxBytes, 0x61)).ok).toBe(true);
  });
});
