import { describe, expect, it } from 'vitest';
import type { UserRole } from '../../../server/app/ports.js';
import { addUser, login, loginAdmin } from '../../helpers/api.js';
import { startTestSystem, type TestSystem } from '../../helpers/system.js';

// Rosters over HTTP (app.inject, a real SQLite file): CSV in (UTF-8 or GBK), CSV out.

type Caller = { cookie: string; csrfToken: string };

/** A user of these compounds, logged in. */
async function userOf(system: TestSystem, username: string, role: UserRole, compoundIds: number[]): Promise<Caller> {
  await addUser(system, { username, role, compoundIds });
  return login(system.app, username);
}

function importCsv(
  system: TestSystem,
  who: Caller,
  kind: 'households' | 'people',
  body: Buffer | string,
  dryRun: boolean,
  contentType = 'text/csv',
) {
  return system.app.inject({
    method: 'POST',
    url: `/api/import/${kind}?dryRun=${dryRun}`,
    headers: { cookie: who.cookie, 'x-csrf-token': who.csrfToken, 'content-type': contentType },
    payload: body,
  });
}

function exportCsv(system: TestSystem, who: Caller, kind: 'households' | 'people') {
  return system.app.inject({ method: 'GET', url: `/api/export/${kind}`, headers: { cookie: who.cookie } });
}

type Report = {
  ok: boolean;
  dryRun: boolean;
  encoding: string;
  rows: number;
  created: number;
  unchanged: number;
  ignoredColumns: string[];
  errors: Array<{ line: number; field?: string; reason: string; reasonEn: string }>;
};

/** GBK bytes, by inverting Node's GBK decoder (Node decodes GBK but cannot encode it); 张三 = d5c5c8fd is checked below. */
function gbk(text: string): Buffer {
  const decoder = new TextDecoder('gbk', { fatal: true });
  const table = new Map<string, number>();
  for (let lead = 0x81; lead <= 0xfe; lead += 1) {
    for (let trail = 0x40; trail <= 0xfe; trail += 1) {
      if (trail === 0x7f) continue;
      try {
        const ch = decoder.decode(Uint8Array.of(lead, trail));
        if (!table.has(ch)) table.set(ch, (lead << 8) | trail);
      } catch {
        // not a character
      }
    }
  }
  const out: number[] = [];
  for (const ch of text) {
    const code = ch.charCodeAt(0) < 0x80 ? ch.charCodeAt(0) : table.get(ch);
    if (code === undefined) throw new Error(`no GBK code for ${ch}`);
    if (code < 0x80) out.push(code);
    else out.push(code >> 8, code & 0xff);
  }
  return Buffer.from(out);
}

const HEADER = '小区,楼栋,房号,姓名,时区,报平安方式,免打扰时段,紧急联系人,联系电话,关系';

/** The households as stored, in a form to compare. */
function stored(system: TestSystem) {
  return system.stores.places.listHouseholds().map((h) => ({
    compound: h.compound,
    building: h.building,
    room: h.room,
    name: h.name,
    timezone: h.timezone,
    policy: system.stores.places.schedule(h.id)?.policy ?? null,
    quietHours: system.stores.places.schedule(h.id)?.quietHours ?? null,
    contacts: system.stores.people.contacts(h.id).map((c) => `${c.name}/${c.phone}/${c.relation}`),
  }));
}

describe('roster import and export over HTTP', () => {
  it('when an admin imports a GBK file with Chinese headers, then the dry run writes nothing and the import stores households, contacts and check-ins', async () => {
    const system = await startTestSystem({ scheduler: false });
    const admin = await loginAdmin(system.app);
    expect(gbk('张三').toString('hex')).toBe('d5c5c8fd');
    const file = gbk(
      [
        HEADER,
        '阳光小区,1号楼,101,张三,,每日10:00,22:00-07:00,张女儿,13900000000,女儿',
        '阳光小区,1号楼,101,张三,,,,张儿子,13900000001,儿子',
        '阳光小区,2号楼,201,李四,,24h+2h,,,,',
      ].join('\r\n'),
    );
    const dry = await importCsv(system, admin, 'households', file, true);
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json()).toEqual({
      ok: true,
      dryRun: true,
      encoding: 'gbk',
      format: 'csv',
      rows: 3,
      created: 2,
      updated: 0,
      changes: [],
      unchanged: 0,
      ignoredColumns: [],
      errors: [],
      errorsOmitted: 0,
    });
    expect(system.stores.places.listHouseholds()).toEqual([]);
    expect(system.stores.places.listCompounds()).toEqual([]);

    const real = await importCsv(system, admin, 'households', file, false, 'application/octet-stream');
    expect(real.statusCode, real.body).toBe(200);
    expect(real.json()).toMatchObject({ ok: true, dryRun: false, encoding: 'gbk', created: 2 });
    expect(stored(system)).toEqual([
      {
        compound: '阳光小区',
        building: '1号楼',
        room: '101',
        name: '张三',
        timezone: 'Asia/Shanghai',
        policy: { kind: 'deadline', time: '10:00' },
        quietHours: { start: '22:00', end: '07:00' },
        contacts: ['张女儿/13900000000/女儿', '张儿子/13900000001/儿子'],
      },
      {
        compound: '阳光小区',
        building: '2号楼',
        room: '201',
        name: '李四',
        timezone: 'Asia/Shanghai',
        policy: { kind: 'interval', everySec: 86_400, graceSec: 7_200 },
        quietHours: null,
        contacts: [],
      },
    ]);
    // Registered like POST /api/households: silence counts from now.
    for (const h of system.stores.places.listHouseholds())
      expect(system.stores.places.schedule(h.id)?.checkInDueAt).toBeGreaterThan(Date.now());
    expect(
      system.stores.users
        .auditPage(Number.MAX_SAFE_INTEGER, 10)
        .map((a) => `${a.method} ${a.route} ${a.status} ${a.record}`),
    ).toEqual(
      expect.arrayContaining([
        'POST /api/import/households 200 import:households:dry-run:created 2',
        'POST /api/import/households 200 import:households:created 2',
      ]),
    );
  });

  it('when a file has 2 bad rows, then the dry run lists both with their lines and nothing is written, and the real import refuses it whole', async () => {
    const system = await startTestSystem({ scheduler: false });
    const admin = await loginAdmin(system.app);
    const file = [
      'compound,building,room,name,contact_name,contact_phone',
      '阳光小区,1号楼,101,张三,张女儿,13900000000',
      '阳光小区,1号楼,102,,,', // line 3: no name
      '"阳光小区","1号楼","103","李\r\n四",,', // line 4: a line break in the name (the record spans lines 4–5)
      '阳光小区,1号楼,104,王五,王儿子,not-a-phone', // line 6
    ].join('\r\n');
    const dry = await importCsv(system, admin, 'households', file, true);
    expect(dry.statusCode).toBe(200);
    expect(dry.json()).toMatchObject({
      ok: false,
      dryRun: true,
      rows: 4,
      created: 0,
      errors: [
        { line: 3, field: 'name', reason: '为空（必填）', reasonEn: 'is empty (required)' },
        { line: 4, field: 'name', reasonEn: 'holds a line break or a control character' },
        {
          line: 6,
          field: 'contact_phone',
          reasonEn: expect.stringMatching(/^"not-a-phone" is not a mainland China mobile/),
        },
      ],
    });

    const twoBad = file
      .split('\r\n')
      .filter((_l, i) => i !== 2)
      .join('\r\n');
    const dry2 = (await importCsv(system, admin, 'households', twoBad, true)).json() as Report;
    expect(dry2.errors.map((e) => e.line)).toEqual([3, 5]);

    const real = await importCsv(system, admin, 'households', twoBad, false);
    expect(real.statusCode).toBe(400);
    expect(real.json()).toMatchObject({
      error: {
        code: 'RIBBON_ERR_VALIDATION',
        message: '2 行有误，未导入任何内容 / 2 rows are not valid; nothing was imported',
      },
      ok: false,
      dryRun: false,
      created: 0,
    });
    expect(system.stores.places.listHouseholds()).toEqual([]);
    expect(system.stores.places.listCompounds()).toEqual([]);
  });

  it('when a good file of 300 households is imported, then all are written in one go, and importing it again changes nothing', async () => {
    const system = await startTestSystem({ scheduler: false });
    const admin = await loginAdmin(system.app);
    const rows = Array.from(
      { length: 300 },
      (_, i) =>
        `${i < 150 ? '阳光小区' : '幸福里'},${(i % 6) + 1}号楼,${100 + i},住户${i},,,,家属${i},139${String(i).padStart(8, '0')},子女`,
    );
    const file = `\uFEFF${[HEADER, ...rows].join('\n')}\n`;
    const res = await importCsv(system, admin, 'households', file, false);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ ok: true, encoding: 'utf-8', rows: 300, created: 300, unchanged: 0 });
    expect(system.stores.places.listHouseholds()).toHaveLength(300);
    expect(
      system.stores.places
        .listCompounds()
        .map((c) => c.name)
        .sort(),
    ).toEqual(['幸福里', '阳光小区']);

    const again = await importCsv(system, admin, 'households', file, false);
    expect(again.json()).toMatchObject({ ok: true, created: 0, unchanged: 300 });
    expect(system.stores.places.listHouseholds()).toHaveLength(300);

    // The same household with another contact is not silently duplicated or overwritten.
    const changed = await importCsv(
      system,
      admin,
      'households',
      `${HEADER}\n阳光小区,1号楼,100,住户0,,,,别人,13000000000,\n`,
      true,
    );
    expect(changed.json()).toMatchObject({
      ok: true,
      created: 0,
      updated: 1,
      changes: [
        {
          line: 2,
          fields: ['contacts'],
          text: expect.stringMatching(/^联系人变更：.* → 别人 13000000000$/),
          textEn: expect.stringMatching(/^contacts: .* → 别人 13000000000$/),
        },
      ],
    });
  });

  it('when households are exported and imported into another system, then the second export is the same; a formula in a name comes out neutralised', async () => {
    const system = await startTestSystem({ scheduler: false });
    const admin = await loginAdmin(system.app);
    const file = [
      HEADER,
      '阳光小区,1号楼,101,"=HYPERLINK(""http://x"",""y"")",,每日10:00,,"张,女儿",+86 139 0000 0000,女儿',
      '阳光小区,1号楼,101,"=HYPERLINK(""http://x"",""y"")",,,,-张儿子,13900000001,',
      '阳光小区,2号楼,,"王 ""奶奶""",Asia/Urumqi,12h+30m,22:00-06:30,,,',
    ].join('\n');
    expect((await importCsv(system, admin, 'households', file, false)).json()).toMatchObject({ ok: true, created: 2 });

    const res = await exportCsv(system, admin, 'households');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="households-\d{4}-\d{2}-\d{2}\.csv"; filename\*=UTF-8''%E4%BD%8F%E6%88%B7%E5%90%8D%E5%8D%95\.csv$/,
    );
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.rawPayload.subarray(0, 3).toString('hex')).toBe('efbbbf');
    const csv = res.rawPayload.subarray(3).toString('utf8');
    expect(csv.split('\r\n')).toEqual([
      '小区(compound),楼栋(building),房号(room),姓名(name),时区(timezone),报平安方式(checkin),免打扰时段(quiet_hours),紧急联系人(contact_name),联系电话(contact_phone),关系(relation)',
      `阳光小区,1号楼,101,"'=HYPERLINK(""http://x"",""y"")",Asia/Shanghai,每日10:00,,"张,女儿",13900000000,女儿`,
      `阳光小区,1号楼,101,"'=HYPERLINK(""http://x"",""y"")",Asia/Shanghai,每日10:00,,'-张儿子,13900000001,`,
      '阳光小区,2号楼,,"王 ""奶奶""",Asia/Urumqi,12h+30m,22:00-06:30,,,',
      '',
    ]);
    // The export's audit row: personal data leaving in bulk.
    expect(system.stores.users.auditPage(Number.MAX_SAFE_INTEGER, 1)[0]).toMatchObject({
      method: 'GET',
      route: '/api/export/households',
      record: 'export:households:2',
      username: 'admin',
    });

    // Back into the same system: nothing new. Into another: the same households.
    expect((await importCsv(system, admin, 'households', res.rawPayload, false)).json()).toMatchObject({
      ok: true,
      created: 0,
      unchanged: 2,
    });
    const other = await startTestSystem({ scheduler: false });
    const otherAdmin = await loginAdmin(other.app);
    expect((await importCsv(other, otherAdmin, 'households', res.rawPayload, false)).json()).toMatchObject({
      ok: true,
      created: 2,
      unchanged: 0,
    });
    expect(stored(other)).toEqual(stored(system));
    expect(stored(other)[0]?.name).toBe('=HYPERLINK("http://x","y")');
    expect((await exportCsv(other, otherAdmin, 'households')).rawPayload).toEqual(res.rawPayload);
  });

  it('when staff import and export, then only their compounds count; a volunteer is refused', async () => {
    const system = await startTestSystem({ scheduler: false });
    const admin = await loginAdmin(system.app);
    await importCsv(
      system,
      admin,
      'households',
      `${HEADER}\n阳光小区,1号楼,101,张三,,,,,,\n幸福里,9号楼,901,赵六,,,,,,\n`,
      false,
    );
    const [sunny, happy] = ['阳光小区', '幸福里'].map(
      (name) => system.stores.places.listCompounds().find((c) => c.name === name)?.id ?? 0,
    );
    const staff = await userOf(system, 'staff-a', 'staff', [sunny as number]);
    const volunteer = await userOf(system, 'volunteer-a', 'volunteer', [sunny as number]);

    const res = await importCsv(
      system,
      staff,
      'households',
      `${HEADER}\n阳光小区,3号楼,301,孙七,,,,,,\n幸福里,9号楼,902,钱八,,,,,,\n新小区,1号楼,1,周九,,,,,,\n`,
      true,
    );
    expect((res.json() as Report).errors.map(({ reason: _zh, ...e }) => e)).toEqual([
      { line: 3, field: 'compound', reasonEn: 'you do not look after a compound named "幸福里"' },
      { line: 4, field: 'compound', reasonEn: 'you do not look after a compound named "新小区"' },
    ]);
    const ok = await importCsv(system, staff, 'households', `${HEADER}\n阳光小区,3号楼,301,孙七,,,,,,\n`, false);
    expect(ok.json()).toMatchObject({ ok: true, created: 1 });

    const people = [
      '姓名,电话,角色,层级,小区,楼栋',
      '李志愿,13800000001,志愿者,,阳光小区,3号楼',
      '王网格,13800000002,网格员,,阳光小区,',
      '赵值班,13800000003,值班员,,,', // community-wide: an admin's to add
      '钱支部,13800000004,党支部,,幸福里,', // not theirs
      '孙某,13800000005,volunteer,,阳光小区,99号楼', // no such building
    ].join('\n');
    const dryPeople = (await importCsv(system, staff, 'people', people, true)).json() as Report;
    expect(dryPeople.errors.map(({ reason: _zh, ...e }) => e)).toEqual([
      { line: 4, field: 'compound', reasonEn: 'is empty: only an admin adds community-wide people' },
      { line: 5, field: 'compound', reasonEn: 'you do not look after a compound named "幸福里"' },
      { line: 6, field: 'building', reasonEn: 'no building "99号楼" in 阳光小区' },
    ]);
    const good = people.split('\n').slice(0, 3).join('\n');
    expect((await importCsv(system, staff, 'people', good, false)).json()).toMatchObject({ ok: true, created: 2 });
    expect(
      (
        await importCsv(
          system,
          admin,
          'people',
          people
            .split('\n')
            .filter((_l, i) => i !== 5)
            .join('\n'),
          false,
        )
      ).json(),
    ).toMatchObject({ ok: true, created: 2, unchanged: 2 });
    expect(system.stores.people.list().map((p) => [p.name, p.role, p.tier])).toEqual([
      ['李志愿', 'volunteer', 1],
      ['王网格', 'grid_worker', 2],
      ['钱支部', 'party_branch', 2],
      ['赵值班', 'duty_officer', 3],
    ]);

    const households = (await exportCsv(system, staff, 'households')).rawPayload.toString('utf8');
    expect(households).toContain('张三');
    expect(households).toContain('孙七');
    expect(households).not.toContain('赵六');
    const peopleCsv = (await exportCsv(system, staff, 'people')).rawPayload.subarray(3).toString('utf8');
    expect(peopleCsv.split('\r\n')).toEqual([
      '姓名(name),电话(phone),角色(role),层级(tier),小区(compound),楼栋(building)',
      '李志愿,13800000001,志愿者,1,阳光小区,3号楼',
      '王网格,13800000002,网格员,2,阳光小区,',
      '赵值班,13800000003,值班员,3,,',
      '',
    ]);
    expect(happy).toBeGreaterThan(0);

    expect(
      (await importCsv(system, volunteer, 'households', `${HEADER}\n阳光小区,1号楼,1,x,,,,,,\n`, true)).statusCode,
    ).toBe(403);
    expect((await exportCsv(system, volunteer, 'households')).statusCode).toBe(403);
    expect((await exportCsv(system, volunteer, 'people')).statusCode).toBe(403);
    expect((await system.app.inject({ method: 'GET', url: '/api/export/households' })).statusCode).toBe(401);
  });

  it('when the body is not a readable CSV, then it is refused with a clear error and nothing is written', async () => {
    const system = await startTestSystem({ scheduler: false });
    const admin = await loginAdmin(system.app);
    const error = (res: { statusCode: number; json: () => unknown }) => [
      res.statusCode,
      (res.json() as { error: { code: string } }).error.code,
    ];

    // Bad UTF-8 that is not GBK either (0xFF is in neither).
    const bad = Buffer.concat([
      Buffer.from(`${HEADER}\n阳光小区,1号楼,101,`),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from(',,,,,,\n'),
    ]);
    const res = await importCsv(system, admin, 'households', bad, true);
    expect(error(res)).toEqual([400, 'RIBBON_ERR_BAD_CSV']);
    expect((res.json() as { error: { message: string } }).error.message).toMatch(/neither UTF-8 nor GBK/);

    expect(error(await importCsv(system, admin, 'households', '小区,楼栋\n', true))).toEqual([
      400,
      'RIBBON_ERR_BAD_CSV',
    ]);
    expect(error(await importCsv(system, admin, 'households', `${HEADER}\n"unclosed,\n`, true))).toEqual([
      400,
      'RIBBON_ERR_BAD_CSV',
    ]);
    expect(error(await importCsv(system, admin, 'households', '', true))).toEqual([400, 'RIBBON_ERR_BAD_CSV']);
    expect(
      error(await importCsv(system, admin, 'households', JSON.stringify({ name: 'x' }), false, 'application/json')),
    ).toEqual([415, 'RIBBON_ERR_UNSUPPORTED_MEDIA']);
    expect(error(await importCsv(system, admin, 'households', 'a', false, 'text/plain'))).toEqual([
      415,
      'RIBBON_ERR_UNSUPPORTED_MEDIA',
    ]);
    expect(error(await importCsv(system, admin, 'households', Buffer.alloc(2 * 1024 * 1024 + 1, 0x61), true))).toEqual([
      413,
      'RIBBON_ERR_TOO_LARGE',
    ]);
    // Up to 2 MiB is read (here: one huge unknown column of 'a's is a field over 500 characters).
    expect(error(await importCsv(system, admin, 'households', Buffer.alloc(2 * 1024 * 1024, 0x61), true))).toEqual([
      400,
      'RIBBON_ERR_BAD_CSV',
    ]);
    const noFlag = await system.app.inject({
      method: 'POST',
      url: '/api/import/households',
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken, 'content-type': 'text/csv' },
      payload: HEADER,
    });
    expect(error(noFlag)).toEqual([400, 'RIBBON_ERR_VALIDATION']);
    const noCsrf = await system.app.inject({
      method: 'POST',
      url: '/api/import/households?dryRun=false',
      headers: { cookie: admin.cookie, 'content-type': 'text/csv' },
      payload: HEADER,
    });
    expect(error(noCsrf)).toEqual([403, 'RIBBON_ERR_CSRF']);
    expect(system.stores.places.listHouseholds()).toEqual([]);
  });
});
