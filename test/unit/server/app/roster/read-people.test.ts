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
      '姓名,电话,角色,层级,小区,楼栋\n李志愿,13800000001,志愿者,,阳光小区,1号楼\n王网格,,网格员,,阳光小区,\n赵值班,13800000003,值班员,,,\n孙工作,,工作人员,2,阳光小区,\n',
    );
    expect(errors).toEqual([]);
    expect(people).toEqual([
      {
        line: 2,
        name: '李志愿',
        phone: '13800000001',
        role: 'volunteer',
        tier: 1,
        compound: '阳光小区',
        building: '1号楼',
      },
      { line: 3, name: '王网格', phone: null, role: 'grid_worker', tier: 2, compound: '阳光小区', building: null },
      { line: 4, name: '赵值班', phone: '13800000003', role: 'duty_officer', tier: 3, compound: null, building: null },
      { line: 5, name: '孙工作', phone: null, role: 'staff', tier: 2, compound: '阳光小区', building: null },
    ]);
  });

  it('when rows are bad, then each is reported', () => {
    const { errors } = read(
      'name,phone,role,tier,compound,building\nA,,boss,,,\nB,,staff,,,\nC,x,volunteer,4,,1号楼\nD,,volunteer,,X,\nD,,volunteer,,X,\n',
    );
    expect(errors).toEqual([
      { line: 2, field: 'role', reason: expect.stringMatching(/^"boss" is not a role: 志愿者, 党员中心户/) },
      { line: 3, field: 'tier', reason: 'is empty; 工作人员 (staff) needs a tier: 1, 2 or 3' },
      { line: 4, field: 'phone', reason: '"x" is not a phone number (3–20 digits, +, - or spaces)' },
      { line: 4, field: 'tier', reason: '"4" is not a tier: 1, 2 or 3' },
      { line: 4, field: 'building', reason: 'is given without a compound' },
      { line: 6, reason: 'repeats line 5' },
    ]);
  });
});
