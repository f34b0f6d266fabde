import { describe, expect, it } from 'vitest';
import { ADMIN_HELP, runAdmin, UsageError } from '../../../server/admin/main.js';
import { DEFAULT_AREAS } from '../../../server/domain/places.js';
import { openDatabase } from '../../../server/store/db.js';
import { createStores } from '../../../server/store/index.js';
import { tempDir } from '../../helpers/system.js';

// Places from the command line (issue 14), on a real SQLite file as `npm run admin -- …` runs it.

async function admin(dataDir: string, ...argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runAdmin(argv, { DATA_DIR: dataDir }, { write: (t) => (out += t) });
  return { code, out };
}

async function refused(dataDir: string, ...argv: string[]): Promise<string> {
  try {
    await admin(dataDir, ...argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

function withStores<T>(dir: string, read: (s: ReturnType<typeof createStores>) => T): T {
  const s = createStores(openDatabase(dir));
  try {
    return read(s);
  } finally {
    s.db.close();
  }
}

describe('admin places commands', () => {
  it('when --help is asked, then it lists the places commands', async () => {
    for (const name of ['list-places', 'add-place', 'rename-place', 'move-place', 'set-scope', '--community'])
      expect(ADMIN_HELP).toContain(name);
  });

  it('when streets, communities and compounds are set up by name, then the tree holds and the rules are the API’s', async () => {
    const dir = tempDir();
    const street = JSON.parse(
      (await admin(dir, 'add-place', '--level', 'street', '--name', '东街道', '--json')).out,
    ) as {
      id: number;
    };
    const community = JSON.parse(
      (await admin(dir, 'add-place', '--level', 'community', '--name', '东社区', '--parent', '东街道', '--json')).out,
    ) as { id: number; parentId: number };
    expect(community.parentId).toBe(street.id);
    // Level and name rules.
    expect(await refused(dir, 'add-place', '--level', 'community', '--name', '东社区', '--parent', '东街道')).toContain(
      '已有名为"东社区"的社区',
    );
    expect(await refused(dir, 'add-place', '--level', 'community', '--name', '南社区', '--parent', '东社区')).toContain(
      '上级必须是街道',
    );
    expect(await refused(dir, 'add-place', '--level', 'district', '--name', '区')).toContain('street or community');
    // Two streets now: a community must say which.
    expect(await refused(dir, 'add-place', '--level', 'community', '--name', '南社区')).toContain('--parent');

    // A household whose new compound goes in that community; an existing compound elsewhere is refused.
    expect(
      (
        await admin(
          dir,
          'add-household',
          '--compound',
          '东苑',
          '--building',
          '1号楼',
          '--name',
          '王奶奶',
          '--community',
          '东社区',
        )
      ).code,
    ).toBe(0);
    await admin(dir, 'add-household', '--compound', '阳光小区', '--building', '1号楼', '--name', '李爷爷');
    expect(
      await refused(
        dir,
        'add-household',
        '--compound',
        '阳光小区',
        '--building',
        '2号楼',
        '--name',
        '赵奶奶',
        '--community',
        '东社区',
      ),
    ).toContain('move-place --compound');
    const tree = withStores(dir, (s) => ({
      communities: s.areas.compoundCommunities(),
      compounds: new Map(s.places.listCompounds().map((c) => [c.name, c.id])),
      households: s.places.listHouseholds().length,
    }));
    expect(tree.households).toBe(2);
    expect(tree.communities.get(tree.compounds.get('东苑') as number)).toBe(community.id);
    expect(tree.communities.get(tree.compounds.get('阳光小区') as number)).toBe(DEFAULT_AREAS.community);

    // Rename and move, by id or name.
    expect((await admin(dir, 'rename-place', '--place', String(street.id), '--name', '东湖街道')).code).toBe(0);
    expect((await admin(dir, 'move-place', '--place', '东社区', '--parent', '本街道')).code).toBe(0);
    expect((await admin(dir, 'move-place', '--compound', '阳光小区', '--parent', '东社区')).code).toBe(0);
    expect(await refused(dir, 'move-place', '--place', '东社区', '--parent', '本社区')).toContain('上级必须是街道');
    const listed = JSON.parse((await admin(dir, 'list-places', '--json')).out) as {
      areas: Array<{ id: number; name: string; parentId: number | null }>;
      compounds: Array<{ name: string; communityId: number }>;
    };
    expect(listed.areas).toEqual(
      expect.arrayContaining([
        { id: street.id, level: 'street', name: '东湖街道', parentId: DEFAULT_AREAS.district },
        { id: community.id, level: 'community', name: '东社区', parentId: DEFAULT_AREAS.street },
      ]),
    );
    expect(listed.compounds.find((c) => c.name === '阳光小区')?.communityId).toBe(community.id);
    expect((await admin(dir, 'list-places')).out).toContain(
      `${community.id}\tcommunity\t东社区\t${DEFAULT_AREAS.street}`,
    );
  });

  it('when a community-wide person and a user scope are set, then they are stored', async () => {
    const dir = tempDir();
    await admin(dir, 'add-place', '--level', 'community', '--name', '东社区', '--parent', '本街道');
    await admin(
      dir,
      'add-household',
      '--compound',
      '东苑',
      '--building',
      '1号楼',
      '--name',
      '王奶奶',
      '--community',
      '东社区',
    );
    const person = JSON.parse(
      (
        await admin(
          dir,
          'add-person',
          '--name',
          '社区值班员',
          '--role',
          'duty_officer',
          '--tier',
          '2',
          '--phone',
          '13800000002',
          '--community',
          '东社区',
          '--json',
        )
      ).out,
    ) as { id: number };
    const communityId = withStores(dir, (s) => s.areas.list().find((a) => a.name === '东社区')?.id);
    expect(withStores(dir, (s) => s.people.get(person.id))).toMatchObject({
      compoundId: null,
      buildingId: null,
      communityId,
    });
    expect(
      await refused(
        dir,
        'add-person',
        '--name',
        'x',
        '--role',
        'staff',
        '--tier',
        '2',
        '--phone',
        '13800000003',
        '--community',
        '本街道',
      ),
    ).toContain('no community');

    withStores(dir, (s) =>
      s.users.create({ username: 'leader', displayName: '领导', role: 'staff', passwordHash: 'x', compoundIds: [] }, 0),
    );
    expect((await admin(dir, 'set-scope', '--user', 'leader', '--scope', 'street:本街道:ro,compound:东苑')).code).toBe(
      0,
    );
    const user = withStores(dir, (s) => s.users.forLogin('leader')?.user);
    expect(user?.scope).toEqual([
      { level: 'compound', id: expect.any(Number), readOnly: false },
      { level: 'street', id: DEFAULT_AREAS.street, readOnly: true },
    ]);
    expect(user?.readOnlyCompoundIds).toEqual([]);
    expect(await refused(dir, 'set-scope', '--user', 'leader', '--scope', 'village:1')).toContain('LEVEL:ID|NAME');
  });
});
