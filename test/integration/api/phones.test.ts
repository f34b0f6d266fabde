import { describe, expect, it } from 'vitest';
import { NOT_A_MOBILE } from '../../../server/domain/phone.js';
import { client, expectError, loginAdmin } from '../../helpers/api.js';
import { startTestSystem, type TestSystem } from '../../helpers/system.js';

// Phone numbers where people and family contacts are saved over HTTP (app.inject, a real SQLite
// file): a mainland mobile, stored as its 11 digits; anything else 400 naming the field; numbers
// stored before the rule are kept and shown as they are (issue 13, "Bad input and faults").

async function setUp() {
  const system = await startTestSystem({ scheduler: false });
  const caller = await loginAdmin(system.app);
  const api = client(system.app, caller);
  const household = (
    await api('POST', '/api/households', { name: '王奶奶', compound: '幸福里', building: '1号楼', room: '101' })
  ).json() as { id: number; compoundId: number; buildingId: number };
  return { system, caller, api, household };
}

const person = (h: { compoundId: number }, phone: unknown) => ({
  name: '李志愿',
  phone,
  role: 'volunteer',
  tier: 1,
  compoundId: h.compoundId,
  buildingId: null,
});

function importCsv(system: TestSystem, who: { cookie: string; csrfToken: string }, kind: string, body: string) {
  return system.app.inject({
    method: 'POST',
    url: `/api/import/${kind}?dryRun=false`,
    headers: { cookie: who.cookie, 'x-csrf-token': who.csrfToken, 'content-type': 'text/csv' },
    payload: body,
  });
}

describe('phone numbers when people and contacts are saved', () => {
  it.each([
    ['13800138000', '13800138000'],
    ['138 0013 8000', '13800138000'],
    ['138-0013-8000', '13800138000'],
    ['+86 138 0013 8000', '13800138000'],
    ['0086-13800138000', '13800138000'],
    ['8613800138000', '13800138000'],
  ])('when a person is added with %j, then it is stored and shown as %j', async (given, stored) => {
    const { system, api, household } = await setUp();
    const res = await api('POST', '/api/people', person(household, given));
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ phone: stored });
    expect(system.stores.people.list().map((p) => p.phone)).toEqual([stored]);
  });

  it.each([
    ['a landline', '010-6512 3456'],
    ['too short', '1380013800'],
    ['too long', '138001380001'],
    ['not starting 13–19', '12800138000'],
    ['letters', 'call me'],
    ['another country', '+1 415 555 0100'],
  ])(
    'when a person is added with %s, then 400 RIBBON_ERR_VALIDATION names body.phone and nothing is stored',
    async (_what, given) => {
      const { system, api, household } = await setUp();
      const error = expectError(
        await api('POST', '/api/people', person(household, given)),
        400,
        'RIBBON_ERR_VALIDATION',
      );
      expect(error.fields).toEqual([{ path: 'body.phone', message: NOT_A_MOBILE }]);
      expect(system.stores.people.list()).toEqual([]);
    },
  );

  it('when a person is added without a phone (null or left out), then 400 names body.phone', async () => {
    const { api, household } = await setUp();
    for (const body of [person(household, null), { ...person(household, ''), phone: undefined }]) {
      const error = expectError(await api('POST', '/api/people', body), 400, 'RIBBON_ERR_VALIDATION');
      expect(error.fields?.map((f) => f.path)).toContain('body.phone');
    }
  });

  it('when a person is changed to a bad number or to none, then 400 names body.phone and the stored one stays; a good one is stored as 11 digits', async () => {
    const { system, api, household } = await setUp();
    const id = ((await api('POST', '/api/people', person(household, '13800138000'))).json() as { id: number }).id;
    for (const phone of ['0755-1234567', null]) {
      const error = expectError(await api('PATCH', `/api/people/${id}`, { phone }), 400, 'RIBBON_ERR_VALIDATION');
      expect(error.fields?.map((f) => f.path)).toEqual(['body.phone']);
    }
    expect(system.stores.people.get(id)?.phone).toBe('13800138000');
    const ok = await api('PATCH', `/api/people/${id}`, { phone: '+86 139-0000-0000' });
    expect(ok.json()).toMatchObject({ phone: '13900000000' });
  });

  it('when a household is added or changed with a bad contact number, then 400 names that contact and nothing is stored; good ones are stored as 11 digits', async () => {
    const { system, api, household } = await setUp();
    const contacts = [
      { name: '张女儿', phone: '139 0000 0000', relation: '女儿' },
      { name: '张儿子', phone: '0571-8888888', relation: '儿子' },
    ];
    const added = await api('POST', '/api/households', {
      name: '张桂兰',
      compound: '幸福里',
      building: '1号楼',
      room: '102',
      contacts,
    });
    expect(expectError(added, 400, 'RIBBON_ERR_VALIDATION').fields).toEqual([
      { path: 'body.contacts.1.phone', message: NOT_A_MOBILE },
    ]);
    expect(system.stores.places.listHouseholds().map((h) => h.name)).toEqual(['王奶奶']);

    const patched = await api('PATCH', `/api/households/${household.id}`, { name: '王桂芳', contacts });
    expect(expectError(patched, 400, 'RIBBON_ERR_VALIDATION').fields).toEqual([
      { path: 'body.contacts.1.phone', message: NOT_A_MOBILE },
    ]);
    expect(system.stores.places.getHousehold(household.id)?.name).toBe('王奶奶');

    const good = await api('PATCH', `/api/households/${household.id}`, { contacts: contacts.slice(0, 1) });
    expect(good.json()).toMatchObject({ contacts: [{ name: '张女儿', phone: '13900000000', relation: '女儿' }] });
  });

  it('when numbers stored before the rule do not pass, then they are kept and shown as stored, the person can still be changed, and a roster naming the same number in 11 digits finds them', async () => {
    const { system, caller, api, household } = await setUp();
    const now = Date.now();
    const old = system.stores.people.add(
      {
        name: '老志愿',
        phone: '0755-1234567',
        role: 'volunteer',
        tier: 1,
        compoundId: household.compoundId,
        buildingId: null,
      },
      now,
    );
    const spaced = system.stores.people.add(
      {
        name: '旧网格',
        phone: '138-0000-0002',
        role: 'grid_worker',
        tier: 2,
        compoundId: household.compoundId,
        buildingId: null,
      },
      now,
    );
    system.stores.people.addContact(
      { householdId: household.id, name: '老邻居', phone: '88 12 34', relation: '' },
      now,
    );

    expect((await api('GET', '/api/people')).json()).toMatchObject({
      items: [
        { id: old, phone: '0755-1234567' },
        { id: spaced, phone: '138-0000-0002' },
      ],
    });
    expect((await api('GET', `/api/households/${household.id}`)).json()).toMatchObject({
      contacts: [{ name: '老邻居', phone: '88 12 34' }],
    });
    const renamed = await api('PATCH', `/api/people/${old}`, { name: '老志愿者', tier: 2 });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json()).toMatchObject({ name: '老志愿者', phone: '0755-1234567' });
    expect((await api('GET', '/api/export/people')).statusCode).toBe(200);
    expect((await api('GET', '/api/export/households')).statusCode).toBe(200);

    const roster = await importCsv(system, caller, 'people', '姓名,电话,角色,小区\n旧网格,13800000002,网格员,幸福里\n');
    expect(roster.json()).toMatchObject({ ok: true, created: 0, unchanged: 1 });
  });

  it('when a roster has a bad or missing number, then each is a row problem with its line and the reason in Chinese, and nothing is imported', async () => {
    const { system, caller } = await setUp();
    const people = await importCsv(
      system,
      caller,
      'people',
      '姓名,电话,角色,小区\n李志愿,+86 138 0013 8000,志愿者,幸福里\n王网格,,网格员,幸福里\n赵值班,010-12345678,值班员,\n',
    );
    expect(people.json()).toMatchObject({
      ok: false,
      errors: [
        { line: 3, field: 'phone', reason: '为空：接警的人必须有手机号（用于短信和电话通知）' },
        { line: 4, field: 'phone', reason: `"010-12345678" ${NOT_A_MOBILE}` },
      ],
    });
    const households = await importCsv(
      system,
      caller,
      'households',
      '小区,楼栋,房号,姓名,紧急联系人,联系电话\n幸福里,2号楼,201,张三,张女儿,139 0000 0000\n幸福里,2号楼,202,李四,李儿子,1390000000\n',
    );
    expect(households.json()).toMatchObject({
      ok: false,
      errors: [{ line: 3, field: 'contact_phone', reason: `"1390000000" ${NOT_A_MOBILE}` }],
    });
    expect(system.stores.people.list()).toEqual([]);
    expect(system.stores.places.listHouseholds().map((h) => h.name)).toEqual(['王奶奶']);

    const good = await importCsv(
      system,
      caller,
      'households',
      '小区,楼栋,房号,姓名,紧急联系人,联系电话\n幸福里,2号楼,201,张三,张女儿,139 0000 0000\n',
    );
    expect(good.json()).toMatchObject({ ok: true, created: 1 });
    expect(system.stores.people.contacts(2).map((c) => c.phone)).toEqual(['13900000000']);
  });
});
