import { describe, expect, it } from 'vitest';
import { client, listRoutes, ROLES, send, type Caller, type Role } from '../../helpers/api.js';
import { requestFor, TABLE, today, world } from '../../helpers/matrix.js';
import { startTestSystem } from '../../helpers/system.js';

describe('the authorization matrix', () => {
  it('when the app is built, then every route it has is in the table, and every route in the table exists', async () => {
    const system = await startTestSystem({ scheduler: false });
    const routes = listRoutes(system.app);
    expect(routes.length).toBeGreaterThan(30);
    const inTable = TABLE.map((r) => r.route).sort();
    expect(new Set(inTable).size, 'a route appears twice in the table').toBe(inTable.length);
    expect(
      routes.filter((r) => !inTable.includes(r)),
      'routes without an entry in the matrix',
    ).toEqual([]);
    expect(
      inTable.filter((r) => !routes.includes(r)),
      'entries for routes the app does not have',
    ).toEqual([]);
  });

  it.each(TABLE.map((row) => [row.route, row] as const))(
    'when each role calls %s on a target in compound A, then it gets the status the table says',
    async (_name, row) => {
      const { system, callers, ctx } = await world();
      const statuses = {} as Record<Role, number>;
      const expected = {} as Record<Role, number>;
      for (const [i, role] of ROLES.entries()) {
        const target = row.target?.(ctx) ?? {};
        const res = await send(system.app, callers[role] as Caller, requestFor(row, target, ctx, role));
        statuses[role] = res.statusCode;
        expected[role] = row.expect[i] as number;
      }
      expect(statuses).toEqual(expected);

      // Existence does not leak: to an outsider, A's record and no record at all look the same.
      if (row.missing !== undefined) {
        for (const role of ['staffB', 'volunteerB'] as const) {
          const res = await send(system.app, callers[role], requestFor(row, row.missing, ctx, role));
          expect(res.statusCode, `${role}: ${res.body}`).toBe(statuses[role]);
          if (res.statusCode >= 400)
            expect(res.json()).toEqual(
              expect.objectContaining({ error: expect.objectContaining({ code: expect.any(String) }) }),
            );
        }
      }
    },
  );
});

describe('what each role sees', () => {
  it('when people of compound B list households, alerts, compounds, people and figures, then nothing of compound A is in them', async () => {
    const { system, cast, callers } = await world();
    system.recordPersonReport({
      householdId: cast.householdA,
      state: 'red',
      note: null,
      by: 'test',
      idempotencyKey: null,
    });
    system.recordPersonReport({
      householdId: cast.householdB,
      state: 'red',
      note: null,
      by: 'test',
      idempotencyKey: null,
    });
    system.stores.people.add(
      {
        name: 'A 的志愿者',
        phone: '13800000011',
        role: 'volunteer',
        tier: 1,
        compoundId: cast.compoundA.id,
        buildingId: null,
      },
      Date.now(),
    );
    system.stores.people.add(
      {
        name: 'B 的志愿者',
        phone: '13800000012',
        role: 'volunteer',
        tier: 1,
        compoundId: cast.compoundB.id,
        buildingId: null,
      },
      Date.now(),
    );
    const views = async (role: Role) => {
      const api = client(system.app, callers[role]);
      const get = async (url: string) => {
        const res = await api('GET', url);
        expect(res.statusCode, res.body).toBe(200);
        return (res.json() as { items: Array<Record<string, unknown>> }).items;
      };
      return {
        households: (await get('/api/households')).map((h) => h.compoundId),
        alerts: (await get('/api/alerts')).map((a) => a.householdId),
        compounds: (await get('/api/compounds')).map((c) => c.id),
        people: (await get('/api/people')).map((p) => p.compoundId),
        figures: (await get(`/api/figures?from=${today}&to=${today}`)).map((f) => f.compoundId),
      };
    };
    const A = cast.compoundA.id;
    const B = cast.compoundB.id;
    for (const role of ['staffB', 'volunteerB'] as const) {
      expect(await views(role)).toEqual({
        households: [B],
        alerts: [cast.householdB],
        compounds: [B],
        people: [B],
        figures: [B],
      });
    }
    for (const role of ['staffA', 'volunteerA'] as const) {
      expect(await views(role)).toEqual({
        households: [A],
        alerts: [cast.householdA],
        compounds: [A],
        people: [A],
        figures: [A],
      });
    }
    // The CSV exports are scoped the same way.
    for (const kind of ['households', 'people']) {
      const csv = await client(system.app, callers.staffB)('GET', `/api/export/${kind}`);
      expect(csv.statusCode).toBe(200);
      expect(csv.body).toContain(cast.compoundB.name);
      expect(csv.body).not.toContain(cast.compoundA.name);
    }
    const admin = await views('admin');
    expect(admin.households.sort()).toEqual([A, B].sort());
    expect(admin.alerts.sort()).toEqual([cast.householdA, cast.householdB].sort());
  });

  it("when a volunteer reads a household, then its family contacts' phone numbers are left out (staff see them)", async () => {
    const { system, cast, callers } = await world();
    system.stores.people.addContact(
      { householdId: cast.householdA, name: '张女儿', phone: '13900000000', relation: '女儿' },
      Date.now(),
    );
    const asVolunteer = await client(system.app, callers.volunteerA)('GET', `/api/households/${cast.householdA}`);
    expect(asVolunteer.statusCode).toBe(200);
    expect(asVolunteer.body).not.toContain('13900000000');
    expect(asVolunteer.json()).not.toHaveProperty('contacts');
    const asStaff = await client(system.app, callers.staffA)('GET', `/api/households/${cast.householdA}`);
    expect(asStaff.json()).toMatchObject({ contacts: [{ name: '张女儿', phone: '13900000000', relation: '女儿' }] });
  });

  it('when staff of B try to register a household into compound A, then it is refused and nothing is created', async () => {
    const { system, cast, callers } = await world();
    const before = system.stores.places.listHouseholds().length;
    const res = await client(system.app, callers.staffB)('POST', '/api/households', {
      name: '越界',
      compound: cast.compoundA.name,
      building: '1号楼',
      room: '1',
    });
    expect(res.statusCode).toBe(403);
    expect(system.stores.places.listHouseholds()).toHaveLength(before);
  });
});
