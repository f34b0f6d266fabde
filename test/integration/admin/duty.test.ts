import { describe, expect, it } from 'vitest';
import { runAdmin, UsageError } from '../../../server/admin/main.js';
import { openDatabase } from '../../../server/store/db.js';
import { createStores } from '../../../server/store/index.js';
import { tempDir } from '../../helpers/system.js';

// The duty roster commands of the admin tool on a real SQLite file, as `npm run admin -- …` runs them.

async function admin(dataDir: string, ...argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runAdmin(argv, { DATA_DIR: dataDir }, { write: (t) => (out += t) });
  return { code, out };
}

/** A compound with two tier-2 grid workers (ids 1 and 2) and a building's volunteer (id 3). */
async function community(): Promise<string> {
  const dir = tempDir();
  await admin(dir, 'add-household', '--compound', '阳光小区', '--building', '1号楼', '--name', '张桂兰');
  for (const [name, phone] of [
    ['白班网格员', '13800000201'],
    ['夜班网格员', '13800000202'],
  ] as const)
    await admin(
      dir,
      'add-person',
      '--name',
      name,
      '--role',
      'grid_worker',
      '--tier',
      '2',
      '--phone',
      phone,
      '--compound',
      '阳光小区',
    );
  await admin(
    dir,
    'add-person',
    '--name',
    '楼栋志愿者',
    '--role',
    'volunteer',
    '--tier',
    '2',
    '--phone',
    '13800000203',
    '--compound',
    '阳光小区',
    '--building',
    '1号楼',
  );
  return dir;
}

const shift = (days: string, start: string, end: string, people: string) => [
  'set-shift',
  '--compound',
  '阳光小区',
  '--tier',
  '2',
  '--days',
  days,
  '--start',
  start,
  '--end',
  end,
  '--people',
  people,
];

function onDuty(dir: string, iso: string): number[] | null {
  const s = createStores(openDatabase(dir));
  try {
    const compound = s.places.listCompounds()[0];
    return s.duty.onDuty(compound?.id ?? 0, 2, Date.parse(iso));
  } finally {
    s.db.close();
  }
}

describe('admin duty roster commands', () => {
  it('when a day and a night shift are set and leave is added, then the store answers onDuty and `duty` lists now and next', async () => {
    const dir = await community();
    expect((await admin(dir, ...shift('1-5', '08:00', '20:00', '1'))).code).toBe(0);
    expect((await admin(dir, ...shift('1-5', '20:00', '08:00', '2'))).code).toBe(0);
    expect(onDuty(dir, '2026-11-23T09:00:00+08:00')).toEqual([1]);
    expect(onDuty(dir, '2026-11-24T02:00:00+08:00')).toEqual([2]);

    const added = await admin(
      dir,
      'add-override',
      '--compound',
      '阳光小区',
      '--tier',
      '2',
      '--person',
      '2',
      '--from',
      '2099-11-23T23:00',
      '--to',
      '2099-11-24T08:00',
      '--note',
      '请假',
      '--json',
    );
    expect(added.code).toBe(0);
    expect(JSON.parse(added.out)).toMatchObject({ personId: 2, replacementId: null, note: '请假' });
    // 2099-11-23 is a Monday too.
    expect(onDuty(dir, '2099-11-24T01:00:00+08:00')).toEqual([]);

    const listed = await admin(dir, 'duty', '--compound', '阳光小区', '--at', '2099-11-23T21:00');
    expect(listed.out).toContain('tier 1\tno roster');
    expect(listed.out).toContain('tier 2\ton duty: 夜班网格员 (2)\tnext: 2099-11-23 23:00 (nobody 无人)');
    expect(listed.out).toContain('\t2\t1,2,3,4,5\t20:00\t08:00\t2\n');
    expect(listed.out).toContain('\t2\t2\tleave\t2099-11-23 23:00\t2099-11-24 08:00\t请假\n');

    // The same shift again replaces its people; none removes it.
    await admin(dir, ...shift('1-5', '08:00', '20:00', '1,2'));
    expect(onDuty(dir, '2026-11-23T09:00:00+08:00')).toEqual([1, 2]);
    await admin(dir, ...shift('1-5', '08:00', '20:00', 'none'));
    await admin(dir, ...shift('1-5', '20:00', '08:00', 'none'));
    expect(onDuty(dir, '2026-11-23T09:00:00+08:00')).toBeNull();
  });

  it.each<[string, string[]]>([
    ['a building’s volunteer on the roster', shift('1', '08:00', '20:00', '3')],
    ['weekday 8', shift('8', '08:00', '20:00', '1')],
    ['a time that is not HH:MM', shift('1', '8:00', '20:00', '1')],
    [
      'no tier',
      ['set-shift', '--compound', '阳光小区', '--days', '1', '--start', '08:00', '--end', '20:00', '--people', '1'],
    ],
    [
      'an unknown compound',
      [
        'set-shift',
        '--compound',
        '不存在',
        '--tier',
        '2',
        '--days',
        '1',
        '--start',
        '08:00',
        '--end',
        '20:00',
        '--people',
        '1',
      ],
    ],
    [
      'leave for a tier with no roster',
      [
        'add-override',
        '--compound',
        '阳光小区',
        '--tier',
        '1',
        '--person',
        '1',
        '--from',
        '2099-01-01T08:00',
        '--to',
        '2099-01-02T08:00',
      ],
    ],
  ])('when a command has %s, then it is refused (exit 2) and nothing is stored', async (_name, argv) => {
    const dir = await community();
    await expect(admin(dir, ...argv)).rejects.toThrow(UsageError);
    expect(onDuty(dir, '2026-11-23T09:00:00+08:00')).toBeNull();
  });

  it("when a community's shift is set with --community, then the compound without its own tier-2 roster follows it, `duty` says so, and leave on it applies", async () => {
    const dir = await community();
    const person = await admin(
      dir,
      'add-person',
      '--name',
      '社区值班员',
      '--role',
      'duty_officer',
      '--tier',
      '2',
      '--phone',
      '13800000204',
      '--community',
      '本社区',
      '--json',
    );
    expect(person.code).toBe(0);
    const id = String((JSON.parse(person.out) as { id: number }).id);
    const set = await admin(
      dir,
      'set-shift',
      '--community',
      '本社区',
      '--tier',
      '2',
      '--days',
      '1-7',
      '--start',
      '08:00',
      '--end',
      '20:00',
      '--people',
      `${id},1`,
    );
    expect(set).toEqual({
      code: 0,
      out: 'community 本社区 的值班表已设置（1 个班次） / roster of community 本社区 set (1 shifts)\n',
    });
    expect(onDuty(dir, '2026-11-23T09:00:00+08:00')).toEqual([1, Number(id)].sort((a, b) => a - b));
    expect(onDuty(dir, '2026-11-23T21:00:00+08:00')).toEqual([]);

    const ofCompound = await admin(dir, 'duty', '--compound', '阳光小区', '--at', '2026-11-23T09:00');
    expect(ofCompound.out).toContain(`tier 2\ton duty: 白班网格员 (1), 社区值班员 (${id})`);
    expect(ofCompound.out).toContain("(the community's roster)");
    await admin(
      dir,
      'add-override',
      '--community',
      '3',
      '--tier',
      '2',
      '--person',
      id,
      '--from',
      '2099-11-23T08:00',
      '--to',
      '2099-11-24T08:00',
    );
    expect(onDuty(dir, '2099-11-23T09:00:00+08:00')).toEqual([1]);
    const ofCommunity = await admin(dir, 'duty', '--community', '本社区', '--at', '2099-11-23T09:00');
    expect(ofCommunity.out).toContain('roster of community 本社区');
    expect(ofCommunity.out).toContain('tier 2\ton duty: 白班网格员 (1)\t');
    expect(ofCommunity.out).toContain(`\t2\t${id}\tleave\t2099-11-23 08:00\t2099-11-24 08:00\t\n`);
    // A building's volunteer is not a whole compound's: refused; both places at once too.
    await expect(
      admin(
        dir,
        'set-shift',
        '--community',
        '本社区',
        '--tier',
        '2',
        '--days',
        '1',
        '--start',
        '08:00',
        '--end',
        '20:00',
        '--people',
        '3',
      ),
    ).rejects.toThrow(/personIds: 楼栋志愿者/);
    await expect(admin(dir, 'duty', '--community', '本社区', '--compound', '阳光小区')).rejects.toThrow(UsageError);
  });

  it('when asked for help, then the duty commands are listed', async () => {
    const { out } = await admin(tempDir(), '--help');
    for (const c of ['set-shift', 'add-override', 'duty --compound', '--community ID|NAME --tier'])
      expect(out).toContain(c);
  });
});
