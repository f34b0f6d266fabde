import { describe, expect, it } from 'vitest';
import { PEOPLE_COLUMNS, readRosterFile } from '../../../../../server/app/roster/columns.js';
import { readPeople } from '../../../../../server/app/roster/read-people.js';

const utf8 = (text: string) => Buffer.from(text, 'utf8');

describe('readPeople', () => {
  const read = (text: string) => {
    const file = readRosterFile(utf8(text), PEOPLE_COLUMNS);
    if (!file.ok) throw new Error(file.reason);
    return readPeople(file.rows);
  };

  it('when roles are Chinese words and tiers are left out, then the usual tier of the role is taken', () => {
    const { people, errors } = read(
      '姓名,电话,角色,层级,小区,楼栋\n李志愿,13800000001,志愿者,,阳光小区,1号楼\n王网格,138 0000 0002,网格员,,阳光小区,\n赵值班,13800000003,值班员,,,\n孙工作,+8613800000004,工作人员,2,阳光小区,\n',
    );
    expect(errors.map(({ reason: _zh, ...e }) => e)).toEqual([]);
    expect(people).toEqual([
      {
        line: 2,
        name: '李志愿',
        phone: '13800000001',
        role: 'volunteer',
        tier: 1,
        compound: '阳光小区',
        building: '1号楼',
        street: null,
        community: null,
      },
      {
        line: 3,
        name: '王网格',
        phone: '13800000002',
        role: 'grid_worker',
        tier: 2,
        compound: '阳光小区',
        building: null,
        street: null,
        community: null,
      },
      {
        line: 4,
        name: '赵值班',
        phone: '13800000003',
        role: 'duty_officer',
        tier: 3,
        compound: null,
        building: null,
        street: null,
        community: null,
      },
      {
        line: 5,
        name: '孙工作',
        phone: '13800000004',
        role: 'staff',
        tier: 2,
        compound: '阳光小区',
        building: null,
        street: null,
        community: null,
      },
    ]);
  });

  it('when rows are bad, then each is reported', () => {
    const { errors } = read(
      'name,phone,role,tier,compound,building\nA,13800000001,boss,,,\nB,13800000001,staff,,,\nC,x,volunteer,4,,1号楼\nD,13800000001,volunteer,,X,\nD,138-0000-0001,volunteer,,X,\nE,,volunteer,,,\n',
    );
    expect(errors.map(({ reason: _zh, ...e }) => e)).toEqual([
      { line: 2, field: 'role', reasonEn: expect.stringMatching(/^"boss" is not a role: 志愿者, 党员中心户/) },
      { line: 3, field: 'tier', reasonEn: 'is empty; 工作人员 (staff) needs a tier: 1, 2 or 3' },
      { line: 4, field: 'phone', reasonEn: expect.stringMatching(/^"x" is not a mainland China mobile/) },
      { line: 4, field: 'tier', reasonEn: '"4" is not a tier: 1, 2 or 3' },
      { line: 4, field: 'building', reasonEn: 'is given without a compound' },
      { line: 6, reasonEn: 'repeats line 5' },
      {
        line: 7,
        field: 'phone',
        reasonEn: 'is empty: a person who answers alarms needs a mobile number (for text messages and calls)',
      },
    ]);
  });
});
