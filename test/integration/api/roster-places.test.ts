import { describe, expect, it } from 'vitest';
import { DEFAULT_AREAS } from '../../../server/domain/places.js';
import { addUser, login, loginAdmin } from '../../helpers/api.js';
import { startTestSystem, type TestSystem } from '../../helpers/system.js';

// Rosters with the optional 街道 / 社区 columns (issue 14), over HTTP on a real SQLite file.

type Caller = { cookie: string; csrfToken: string };
type Report = {
  ok: boolean;
  dryRun: boolean;
  created: number;
  unchanged: number;
  errors: Array<{ line: number; field?: string; reason: string }>;
};

function importCsv(system: TestSystem, who: Caller, kind: 'households' | 'people', body: string, dryRun: boolean) {
  return system.app.inject({
    method: 'POST',
    url: `/api/import/${kind}?dryRun=${dryRun}`,
    headers: { cookie: who.cookie, 'x-csrf-token': who.csrfToken, 'content-type': 'text/csv' },
    payload: body,
  });
}

function exportCsv(system: TestSystem, who: Caller, kind: 'households' | 'people'): Promise<string> {
  return system.app
    .inject({ method: 'GET', url: `/api/export/${kind}`, headers: { cookie: who.cookie } })
    .then((r) => r.body.replace(/^\uFEFF/, ''));
}

const HEADER = '街道,社区,小区,楼栋,房号,姓名,紧急联系人,联系电话';

async function world() {
  const system = await startTestSystem({ scheduler: false });
  const admin = await loginAdmin(system.app);
  return { system, admin };
}

/** compound name → [street name, community name]. */
function whereAre(system: TestSystem): Record<string, [string, string]> {
  const areas = new Map(system.stores.areas.list().map((a) => [a.id, a]));
  const communities = system.stores.areas.compoundCommunities();
  return Object.fromEntries(
    system.stores.places.listCompounds().map((c) => {
      const community = areas.get(communities.get(c.id) ?? 0);
      return [c.name, [areas.get(community?.parentId ?? 0)?.name ?? '', community?.name ?? '']];
    }),
  );
}

describe('rosters with 街道 and 社区', () => {
  it('when a file names streets and communities, then a dry run writes nothing, and the import puts each new compound in its community (made if missing)', async () => {
    const { system, admin } = await world();
    const file = [
      HEADER,
      '东街道,东湖社区,东苑,1号楼,101,王奶奶,王女儿,13900000001',
      '东街道,东湖社区,东苑,1号楼,102,李爷爷,李儿子,13900000002',
      '东街道,西湖社区,西苑,2号楼,201,赵奶奶,赵女儿,13900000003',
      ',,阳光小区,3号楼,301,钱爷爷,钱女儿,13900000004',
      '',
    ].join('\n');
    const dry = await importCsv(system, admin, 'households', file, true);
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json()).toMatchObject({ ok: true, dryRun: true, created: 4, errors: [] });
    expect(system.stores.areas.list()).toHaveLength(3);
    expect(system.stores.places.listCompounds()).toEqual([]);

    const real = await importCsv(system, admin, 'households', file, false);
    expect(real.statusCode, real.body).toBe(200);
    expect(real.json()).toMatchObject({ ok: true, created: 4 });
    expect(whereAre(system)).toEqual({
      东苑: ['东街道', '东湖社区'],
      西苑: ['东街道', '西湖社区'],
      阳光小区: ['本街道', '本社区'],
    });
    expect(system.stores.areas.list().filter((a) => a.name === '东街道')).toEqual([
      expect.objectContaining({ level: 'street', parentId: DEFAULT_AREAS.district }),
    ]);

    // The export now writes the columns, and reads back unchanged.
    const exported = await exportCsv(system, admin, 'households');
    expect(exported.split('\r\n')[0]).toMatch(/^街道\(street\),社区\(community\),小区\(compound\)/);
    expect(exported).toContain('东街道,东湖社区,东苑,1号楼,101,王奶奶');
    const again = await importCsv(system, admin, 'households', exported, false);
    expect(again.json()).toMatchObject({ ok: true, created: 0, unchanged: 4 });
  });

  it('when a row puts an existing compound in another community, then it is a row error in Chinese and nothing is imported', async () => {
    const { system, admin } = await world();
    await importCsv(
      system,
      admin,
      'households',
      `${HEADER}\n东街道,东湖社区,东苑,1号楼,101,王奶奶,王女儿,13900000001\n`,
      false,
    );
    const file = [
      HEADER,
      ',,新苑,1号楼,101,孙奶奶,孙女儿,13900000005',
      '东街道,西湖社区,东苑,1号楼,102,李爷爷,李儿子,13900000002',
      '东街道,东湖社区,南苑,1号楼,101,周奶奶,周女儿,13900000006',
      '东街道,西湖社区,南苑,1号楼,102,吴爷爷,吴儿子,13900000007',
      '东街道,,北苑,1号楼,101,郑奶奶,郑女儿,13900000008',
    ].join('\n');
    for (const dryRun of [true, false]) {
      const res = await importCsv(system, admin, 'households', file, dryRun);
      expect(res.statusCode, res.body).toBe(dryRun ? 200 : 400);
      const report = res.json() as Report;
      expect(report.ok).toBe(false);
      expect(report.errors).toEqual([
        {
          line: 3,
          field: 'community',
          reason: expect.stringContaining('小区"东苑"属于东街道东湖社区，与本行的东街道西湖社区不符'),
          reasonEn: expect.any(String),
        },
        {
          line: 5,
          field: 'community',
          reason: expect.stringContaining('一个小区只属于一个社区'),
          reasonEn: expect.any(String),
        },
        {
          line: 6,
          field: 'community',
          reason: expect.stringContaining('填写了街道，也请填写社区'),
          reasonEn: expect.any(String),
        },
      ]);
    }
    expect(system.stores.places.listCompounds().map((c) => c.name)).toEqual(['东苑']);
    expect(system.stores.areas.list().some((a) => a.name === '西湖社区')).toBe(false);
  });

  it('when a community is named alone, then the one of that name is found; two of that name need the street', async () => {
    const { system, admin } = await world();
    await importCsv(
      system,
      admin,
      'households',
      `${HEADER}\n东街道,湖滨社区,东苑,1号楼,101,王奶奶,王女儿,13900000001\n西街道,湖滨社区,西苑,1号楼,101,李奶奶,李女儿,13900000002\n东街道,东湖社区,南苑,1号楼,101,赵奶奶,赵女儿,13900000003\n`,
      false,
    );
    const res = await importCsv(
      system,
      admin,
      'households',
      `社区,小区,楼栋,房号,姓名,紧急联系人,联系电话\n东湖社区,南苑,1号楼,102,钱爷爷,钱儿子,13900000004\n湖滨社区,北苑,1号楼,101,孙奶奶,孙女儿,13900000005\n`,
      true,
    );
    expect((res.json() as Report).errors).toEqual([
      {
        line: 3,
        field: 'community',
        reason: expect.stringContaining('有 2 个名为"湖滨社区"的社区'),
        reasonEn: expect.any(String),
      },
    ]);
  });

  it('when staff import into their compound naming its community, then it goes; naming another, it is a row error', async () => {
    const { system, admin } = await world();
    await importCsv(
      system,
      admin,
      'households',
      `${HEADER}\n东街道,东湖社区,东苑,1号楼,101,王奶奶,王女儿,13900000001\n`,
      false,
    );
    const compoundId = system.stores.places.listCompounds()[0]?.id as number;
    await addUser(system, { username: 'staff-east', role: 'staff', compoundIds: [compoundId] });
    const staff = await login(system.app, 'staff-east');
    const ok = await importCsv(
      system,
      staff,
      'households',
      `${HEADER}\n东街道,东湖社区,东苑,1号楼,102,李爷爷,李儿子,13900000002\n`,
      false,
    );
    expect(ok.json()).toMatchObject({ ok: true, created: 1 });
    const bad = await importCsv(
      system,
      staff,
      'households',
      `${HEADER}\n本街道,本社区,东苑,1号楼,103,赵奶奶,赵女儿,13900000003\n`,
      false,
    );
    expect(bad.statusCode).toBe(400);
    expect((bad.json() as Report).errors[0]?.reason).toContain('与本行的本街道本社区不符');
  });

  it('when a people roster names a community without a compound, then the person is the whole community’s, and the export writes it back', async () => {
    const { system, admin } = await world();
    await importCsv(
      system,
      admin,
      'households',
      `${HEADER}\n东街道,东湖社区,东苑,1号楼,101,王奶奶,王女儿,13900000001\n`,
      false,
    );
    const people = `姓名,电话,角色,层级,小区,街道,社区\n社区值班员,13800000001,值班员,2,,东街道,东湖社区\n没有的社区,13800000002,值班员,2,,东街道,南湖社区\n`;
    const res = await importCsv(system, admin, 'people', people, true);
    expect((res.json() as Report).errors).toEqual([
      {
        line: 3,
        field: 'community',
        reason: expect.stringContaining('没有名为"东街道南湖社区"的社区'),
        reasonEn: expect.any(String),
      },
    ]);
    const good = await importCsv(system, admin, 'people', people.split('\n').slice(0, 2).join('\n'), false);
    expect(good.json()).toMatchObject({ ok: true, created: 1 });
    const east = system.stores.areas.list().find((a) => a.name === '东湖社区')?.id;
    expect(system.stores.people.list()).toEqual([
      expect.objectContaining({ name: '社区值班员', compoundId: null, communityId: east }),
    ]);
    const exported = await exportCsv(system, admin, 'people');
    expect(exported).toContain(',东街道,东湖社区');
    expect((await importCsv(system, admin, 'people', exported, false)).json()).toMatchObject({
      ok: true,
      unchanged: 1,
    });
  });

  it('when a deployment names no places, then the export has the columns it always had', async () => {
    const { system, admin } = await world();
    await importCsv(
      system,
      admin,
      'households',
      `小区,楼栋,房号,姓名,紧急联系人,联系电话\n阳光小区,1号楼,101,王奶奶,王女儿,13900000001\n`,
      false,
    );
    expect((await exportCsv(system, admin, 'households')).split('\r\n')[0]).toMatch(/^小区\(compound\),楼栋/);
  });
});
