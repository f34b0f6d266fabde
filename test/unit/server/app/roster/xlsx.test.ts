import { describe, expect, it } from 'vitest';
import { dateCellText, numberCellText } from '../../../../../server/app/roster/xlsx.js';
import { checkZip } from '../../../../../server/app/roster/zip-guard.js';

// An .xlsx cell as the text staff see in it, and the zip check that runs before any workbook is read.

describe('cells of a workbook as text', () => {
  it.each([
    ['201', '201'],
    ['13800138000', '13800138000'],
    ['1.3800138E10', '13800138000'],
    ['1.5', '1.5'],
    ['1E400', '1E400'],
  ])('when a number is stored as %s, then it reads %s', (stored, text) => {
    expect(numberCellText(stored)).toBe(text);
  });

  it.each([
    [new Date(Date.UTC(2026, 4, 1)), '2026-05-01'],
    [new Date(Date.UTC(2026, 4, 1, 8, 30)), '2026-05-01 08:30'],
    [new Date(Date.UTC(1899, 11, 30, 10, 0)), '10:00'],
    [new Date(Date.UTC(1899, 11, 30, 22, 0, 15)), '22:00:15'],
  ])('when a date cell holds %s, then it reads %s', (date, text) => {
    expect(dateCellText(date)).toBe(text);
  });
});

describe('checkZip', () => {
  it.each([
    ['empty', Buffer.alloc(0)],
    ['not a zip', Buffer.from('小区,楼栋\n')],
    ['a zip header alone', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0])],
  ])('when the bytes are %s, then it is refused in Chinese and English', (_what, bytes) => {
    const why = checkZip(bytes);
    expect(why?.reason).toMatch(/^文件不是有效的 \.xlsx 工作簿/);
    expect(why?.reasonEn).toMatch(/^not a valid \.xlsx workbook/);
  });
});
