import { describe, expect, it } from 'vitest';
import { HOUSEHOLD_COLUMNS, readRosterFile } from '../../../../../server/app/roster/columns.js';
import { readHouseholds } from '../../../../../server/app/roster/read-households.js';

const utf8 = (text: string) => Buffer.from(text, 'utf8');

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
    expect(errors.map(({ reason: _zh, ...e }) => e)).toEqual([]);
    expect(households).toEqual([
      {
        line: 2,
        street: null,
        community: null,
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
        street: null,
        community: null,
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
      '阳光小区,1号楼,106,周九,,每日10:00,,周女儿,13900000009,', // 9: differs from 7
    ]);
    expect(errors.map(({ reason: _zh, ...e }) => e)).toEqual([
      { line: 2, field: 'name', reasonEn: 'is empty (required)' },
      { line: 3, field: 'timezone', reasonEn: '"Mars/Olympus" is not a time zone such as Asia/Shanghai' },
      { line: 3, field: 'checkin', reasonEn: expect.stringMatching(/^"sometimes" is not understood: write "24h\+2h"/) },
      { line: 3, field: 'contact_phone', reasonEn: expect.stringMatching(/^"call me" is not a mainland China mobile/) },
      {
        line: 4,
        field: 'contact_phone',
        reasonEn: 'is empty: an emergency contact needs a mobile number (for text messages and calls)',
      },
      { line: 5, field: 'relation', reasonEn: 'is given without a contact' },
      { line: 6, field: 'quiet_hours', reasonEn: expect.stringMatching(/not understood/) },
      { line: 8, reasonEn: 'repeats the household of line 7; a further row of a household adds a contact' },
      {
        line: 9,
        field: 'checkin',
        reasonEn: "differs from line 7 (a household's settings are read from its first row)",
      },
    ]);
    expect(households.map((h) => h.line)).toEqual([7]);
  });

  it('when a name is longer than 100 characters, then that row is an error', () => {
    expect(read([`阳光小区,1号楼,101,${'长'.repeat(101)},,,,,,`]).errors.map(({ reason: _zh, ...e }) => e)).toEqual([
      { line: 2, field: 'name', reasonEn: 'is longer than 100 characters' },
    ]);
  });
});
