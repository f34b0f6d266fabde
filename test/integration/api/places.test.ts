import { describe, expect, it } from 'vitest';
import { DEFAULT_AREAS } from '../../../server/domain/places.js';
import { client, expectError, login, loginAdmin, makeCast } from '../../helpers/api.js';
import { startTestSystem } from '../../helpers/system.js';

// Places above the compound through the API (issue 14): created, renamed and moved by the admin,
// levels checked, names trimmed and unique among siblings, every change in the audit log.

async function world() {
  const system = await startTestSystem({ scheduler: false });
  const cast = await makeCast(system);
  const admin = client(system.app, await loginAdmin(system.app));
  return { system, cast, admin };
}

describe('places through the API', () => {
  it('when nothing is named, then the tree is the default district, street and community with every compound in it', async () => {
    const { cast, admin } = await world();
    const res = await admin('GET', '/api/places');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      areas: expect.arrayContaining([
        { id: DEFAULT_AREAS.district, level: 'district', name: '本区', parentId: null },
        { id: DEFAULT_AREAS.street, level: 'street', name: '本街道', parentId: DEFAULT_AREAS.district },
        { id: DEFAULT_AREAS.community, level: 'community', name: '本社区', parentId: DEFAULT_AREAS.street },
      ]),
      compounds: expect.arrayContaining([
        { id: cast.compoundA.id, name: cast.compoundA.name, communityId: DEFAULT_AREAS.community, editable: true },
      ]),
    });
  });

  it('when streets and communities are created, renamed and moved, then levels hold and sibling names stay unique', async () => {
    const { system, admin } = await world();
    const east = await admin('POST', '/api/places', { level: 'street', name: '  东街道 ' });
    expect(east.statusCode, east.body).toBe(201);
    const eastId = (east.json() as { id: number; name: string; parentId: number }).id;
    expect(east.json()).toMatchObject({ name: '东街道', level: 'street', parentId: DEFAULT_AREAS.district });

    // A community needs a street above it; a street's parent is the district.
    expectError(
      await admin('POST', '/api/places', { level: 'community', name: '东社区' }),
      400,
      'RIBBON_ERR_VALIDATION',
    );
    const wrong = await admin('POST', '/api/places', {
      level: 'community',
      name: '东社区',
      parentId: DEFAULT_AREAS.community,
    });
    expectError(wrong, 400, 'RIBBON_ERR_VALIDATION');
    expect(JSON.stringify(wrong.json())).toContain('上级必须是街道');
    expectError(await admin('POST', '/api/places', { level: 'district', name: '新区' }), 400, 'RIBBON_ERR_VALIDATION');
    expectError(
      await admin('POST', '/api/places', { level: 'community', name: 'x', parentId: 99_999 }),
      404,
      'RIBBON_ERR_NOT_FOUND',
    );

    const made = await admin('POST', '/api/places', { level: 'community', name: '东社区', parentId: eastId });
    expect(made.statusCode, made.body).toBe(201);
    const communityId = (made.json() as { id: number }).id;
    // The same name under the same street: 409, saying so; under another street it is fine.
    const twice = await admin('POST', '/api/places', { level: 'community', name: ' 东社区', parentId: eastId });
    expectError(twice, 409, 'RIBBON_ERR_CONFLICT');
    expect((twice.json() as { error: { message: string } }).error.message).toContain('东街道已有名为"东社区"的社区');
    expect(
      (await admin('POST', '/api/places', { level: 'community', name: '东社区', parentId: DEFAULT_AREAS.street }))
        .statusCode,
    ).toBe(201);
    expectError(await admin('POST', '/api/places', { level: 'street', name: '本街道' }), 409, 'RIBBON_ERR_CONFLICT');

    // Rename; a rename onto a sibling's name is refused.
    const renamed = await admin('PATCH', `/api/places/${communityId}`, { name: '东湖社区' });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json()).toMatchObject({ id: communityId, name: '东湖社区', parentId: eastId });
    expectError(await admin('PATCH', `/api/places/${eastId}`, { name: '本街道' }), 409, 'RIBBON_ERR_CONFLICT');
    expect((await admin('PATCH', `/api/places/${DEFAULT_AREAS.district}`, { name: '于洪区' })).statusCode).toBe(200);

    // Move: a community under another street, never under a community or the district.
    const moved = await admin('PATCH', `/api/places/${communityId}`, { parentId: DEFAULT_AREAS.street });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json()).toMatchObject({ parentId: DEFAULT_AREAS.street });
    expectError(
      await admin('PATCH', `/api/places/${communityId}`, { parentId: DEFAULT_AREAS.community }),
      400,
      'RIBBON_ERR_VALIDATION',
    );
    expectError(
      await admin('PATCH', `/api/places/${communityId}`, { parentId: DEFAULT_AREAS.district }),
      400,
      'RIBBON_ERR_VALIDATION',
    );
    expectError(await admin('PATCH', `/api/places/${eastId}`, { parentId: eastId }), 400, 'RIBBON_ERR_VALIDATION');
    expectError(await admin('PATCH', '/api/places/99999', { name: 'x' }), 404, 'RIBBON_ERR_NOT_FOUND');

    const audited = system.stores.users
      .auditPage(Number.MAX_SAFE_INTEGER, 100)
      .filter((a) => a.route.startsWith('/api/places') && a.status < 300)
      .map((a) => `${a.method} ${a.route} ${a.record}`);
    expect(audited).toEqual(
      expect.arrayContaining([
        `POST /api/places place:${eastId}`,
        `PATCH /api/places/:id place:${communityId}`,
        `PATCH /api/places/:id place:${communityId}:moved to ${DEFAULT_AREAS.street}`,
      ]),
    );
  });

  it('when a compound is renamed, moved to a community and its building renamed, then the names and community hold', async () => {
    const { system, cast, admin } = await world();
    const community = await admin('POST', '/api/places', {
      level: 'community',
      name: '西社区',
      parentId: DEFAULT_AREAS.street,
    });
    const communityId = (community.json() as { id: number }).id;
    const res = await admin('PATCH', `/api/compounds/${cast.compoundA.id}`, { name: ' 阳光花园 ', communityId });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: cast.compoundA.id, name: '阳光花园', communityId });
    expect(system.stores.areas.compoundCommunities().get(cast.compoundA.id)).toBe(communityId);
    expectError(
      await admin('PATCH', `/api/compounds/${cast.compoundA.id}`, { name: cast.compoundB.name }),
      409,
      'RIBBON_ERR_CONFLICT',
    );
    // A compound's community is a community, not a street.
    expectError(
      await admin('PATCH', `/api/compounds/${cast.compoundA.id}`, { communityId: DEFAULT_AREAS.street }),
      400,
      'RIBBON_ERR_VALIDATION',
    );
    const added = await admin('POST', '/api/compounds', { name: '西苑', communityId });
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json()).toMatchObject({ name: '西苑', communityId });
    expectError(
      await admin('POST', '/api/compounds', { name: '北苑', communityId: DEFAULT_AREAS.street }),
      400,
      'RIBBON_ERR_VALIDATION',
    );
    const list = (await admin('GET', '/api/compounds')).json() as { items: Array<{ id: number; communityId: number }> };
    expect(list.items.find((c) => c.id === cast.compoundA.id)?.communityId).toBe(communityId);

    const h = system.stores.places.getHousehold(cast.householdA);
    const renamed = await admin('PATCH', `/api/buildings/${h?.buildingId}`, { name: '一号楼' });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(system.stores.places.getHousehold(cast.householdA)).toMatchObject({
      building: '一号楼',
      compound: '阳光花园',
    });
  });

  it('when staff of a compound try to move it to another community, then only the admin may', async () => {
    const { system, cast } = await world();
    const staff = client(system.app, await login(system.app, cast.users.staffA.username));
    const res = await staff('PATCH', `/api/compounds/${cast.compoundA.id}`, { communityId: DEFAULT_AREAS.community });
    expectError(res, 403, 'RIBBON_ERR_FORBIDDEN');
    // Its policy and name are theirs to change.
    expect((await staff('PATCH', `/api/compounds/${cast.compoundA.id}`, { name: '阳光新苑' })).statusCode).toBe(200);
  });

  it("when an admin sets a user's scope at several levels, then the users list shows it and bad entries are refused", async () => {
    const { cast, admin } = await world();
    const res = await admin('PATCH', `/api/users/${cast.users.staffB.id}`, {
      scope: [
        { level: 'street', id: DEFAULT_AREAS.street, readOnly: true },
        { level: 'compound', id: cast.compoundB.id },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      compoundIds: [cast.compoundA.id, cast.compoundB.id].sort((a, b) => a - b),
      readOnlyCompoundIds: [cast.compoundA.id],
    });
    const users = (await admin('GET', '/api/users')).json() as {
      items: Array<{ id: number; scope: unknown[] }>;
    };
    expect(users.items.find((u) => u.id === cast.users.staffB.id)?.scope).toEqual([
      { level: 'compound', id: cast.compoundB.id, readOnly: false },
      { level: 'street', id: DEFAULT_AREAS.street, readOnly: true },
    ]);
    const made = await admin('POST', '/api/users', {
      username: 'community-leader',
      displayName: '社区书记',
      role: 'staff',
      password: 'a long enough password',
      compoundIds: [],
      scope: [{ level: 'community', id: DEFAULT_AREAS.community, readOnly: true }],
    });
    expect(made.statusCode, made.body).toBe(201);
    expect(made.json()).toMatchObject({
      scope: [{ level: 'community', id: DEFAULT_AREAS.community, readOnly: true }],
      readOnlyCompoundIds: [cast.compoundA.id, cast.compoundB.id].sort((a, b) => a - b),
    });
    expectError(
      await admin('POST', '/api/users', {
        username: 'both-ways',
        displayName: '两样',
        role: 'staff',
        password: 'a long enough password',
        compoundIds: [cast.compoundA.id],
        scope: [{ level: 'street', id: DEFAULT_AREAS.street }],
      }),
      400,
      'RIBBON_ERR_VALIDATION',
    );
    // A street id named as a community, and scope beside compoundIds, are refused.
    expectError(
      await admin('PATCH', `/api/users/${cast.users.staffB.id}`, { scope: [{ level: 'community', id: 2 }] }),
      400,
      'RIBBON_ERR_VALIDATION',
    );
    expectError(
      await admin('PATCH', `/api/users/${cast.users.staffB.id}`, {
        scope: [{ level: 'community', id: 3 }],
        compoundIds: [cast.compoundB.id],
      }),
      400,
      'RIBBON_ERR_VALIDATION',
    );
  });
});
