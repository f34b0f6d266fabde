import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import readXlsxFile, { readSheet } from 'read-excel-file/node';
import writeXlsxFile from 'write-excel-file/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { XLSX_TYPE } from '../../../server/app/roster/sheets.js';
import { loginAdmin } from '../../helpers/api.js';
import { startTestSystem, type TestSystem } from '../../helpers/system.js';

// Rosters as staff keep them (issue 15): .xlsx in (files saved by LibreOffice, and by
// write-excel-file), .xlsx out (the export, the templates), updates planned in words.

type Caller = { cookie: string; csrfToken: string };

function send(system: TestSystem, who: Caller, kind: string, body: Buffer | string, dryRun: boolean, type = XLSX_TYPE) {
  return system.app.inject({
    method: 'POST',
    url: `/api/import/${kind}?dryRun=${dryRun}`,
    headers: { cookie: who.cookie, 'x-csrf-token': who.csrfToken, 'content-type': type },
    payload: body,
  });
}
const get = (system: TestSystem, who: Caller, url: string) =>
  system.app.inject({ method: 'GET', url, headers: { cookie: who.cookie } });

const HEADER = '小区,楼栋,房号,姓名,报平安方式,紧急联系人,联系电话,关系';
/** CSV files LibreOffice turns into .xlsx (one soffice start for all: it takes seconds). */
const SOURCES = {
  good: [HEADER, '阳光小区,1号楼,201,张三,10:00,张女儿,13800138000,女儿', '阳光小区,1号楼,202,李四,,,,'],
  bad: [HEADER, '阳光小区,1号楼,201,张三,,张女儿,13800138000,女儿', '阳光小区,1号楼,203,,,,,'],
};
const made: Record<keyof typeof SOURCES, Buffer> = { good: Buffer.alloc(0), bad: Buffer.alloc(0) };

beforeAll(() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ribbon-sheets-'));
  for (const [name, lines] of Object.entries(SOURCES))
    fs.writeFileSync(path.join(dir, `${name}.csv`), lines.join('\n'));
  // 44,34,76: comma, double quote, UTF-8. Without soffice this throws: the test fails, it does not skip.
  execFileSync(
    'soffice',
    [
      '--headless',
      '--infilter=CSV:44,34,76,1',
      '--convert-to',
      'xlsx',
      '--outdir',
      dir,
      ...Object.keys(SOURCES).map((n) => path.join(dir, `${n}.csv`)),
    ],
    { stdio: 'ignore', timeout: 60_000, env: { ...process.env, HOME: dir } },
  );
  for (const name of Object.keys(SOURCES) as Array<keyof typeof SOURCES>)
    made[name] = fs.readFileSync(path.join(dir, `${name}.xlsx`));
  fs.rmSync(dir, { recursive: true, force: true });
}, 90_000);

async function admin() {
  const system = await startTestSystem({ scheduler: false });
  return { system, who: await loginAdmin(system.app) };
}

/** A zip of one entry that inflates to `size` zero bytes: 100 MB in ~100 KB. */
function zipBomb(size: number): Buffer {
  const name = Buffer.from('xl/worksheets/sheet1.xml');
  const data = deflateRawSync(Buffer.alloc(size));
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(size, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(size, 24);
  central.writeUInt16LE(name.length, 28);
  const dirStart = local.length + name.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(dirStart, 16);
  return Buffer.concat([local, name, data, central, name, end]);
}

describe('rosters as .xlsx', () => {
  it('when LibreOffice saved the roster as .xlsx, then a bad row is explained in Chinese, and the good file is stored as typed (room 201, the phone digits, 10:00)', async () => {
    const { system, who } = await admin();
    const dry = await send(system, who, 'households', made.bad, true);
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json()).toMatchObject({
      ok: false,
      format: 'xlsx',
      rows: 2,
      errors: [{ line: 3, field: 'name', reason: '为空（必填）', reasonEn: 'is empty (required)' }],
    });

    const res = await send(system, who, 'households', made.good, false);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ ok: true, format: 'xlsx', created: 2 });
    const stored = system.stores.places.listHouseholds();
    expect(stored.map((h) => [h.room, h.name])).toEqual([
      ['201', '张三'],
      ['202', '李四'],
    ]);
    const first = stored[0]?.id ?? 0;
    expect(system.stores.people.contacts(first).map((c) => c.phone)).toEqual(['13800138000']);
    expect(system.stores.places.schedule(first)?.policy).toEqual({ kind: 'deadline', time: '10:00' });
    // Read back in the same file: nothing changes.
    expect((await send(system, who, 'households', made.good, true)).json()).toMatchObject({ unchanged: 2, updated: 0 });
  });

  it('when a roster gives another name at a stored address, then the dry run plans 姓名变更 and the import renames the one household', async () => {
    const { system, who } = await admin();
    await send(system, who, 'households', made.good, false);
    const before = system.stores.places.listHouseholds();
    // A file from write-excel-file, as another program would write it (number cells included).
    const renamed = await writeXlsxFile([
      ['小区', '楼栋', '房号', '姓名', '报平安方式', '紧急联系人', '联系电话', '关系'],
      ['阳光小区', '1号楼', 201, '张四', '10:00', '张女儿', 13800138000, '女儿'],
    ]).toBuffer();
    const dry = await send(system, who, 'households', renamed, true);
    const id = before[0]?.id;
    expect(dry.json()).toMatchObject({
      ok: true,
      created: 0,
      updated: 1,
      changes: [
        { line: 2, householdId: id, fields: ['name'], text: '姓名变更：张三 → 张四', textEn: 'name: 张三 → 张四' },
      ],
    });
    expect(system.stores.places.getHousehold(id ?? 0)?.name).toBe('张三');

    const res = await send(system, who, 'households', renamed, false);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ ok: true, created: 0, updated: 1 });
    const after = system.stores.places.listHouseholds();
    expect(after).toHaveLength(2);
    expect(after.find((h) => h.room === '201')).toMatchObject({ id, name: '张四' });

    // Once closed (moved out), the room has no household: the same row registers a new one there.
    system.stores.db.prepare('UPDATE households SET closed_at = 1 WHERE id = ?').run(id);
    const again = await send(system, who, 'households', renamed, true);
    expect(again.json()).toMatchObject({ ok: true, created: 1, updated: 0, unchanged: 0 });
  });

  it('when an import with an update fails on a later row, then the update is undone too (name, check-in rule, contacts as they were)', async () => {
    const { system, who } = await admin();
    await send(system, who, 'households', made.good, false);
    const [zhang] = system.stores.places.listHouseholds();
    const id = zhang?.id ?? 0;
    // A write that fails after the update committed, as a failing disk would, after the check passed.
    system.stores.db.exec(`CREATE TRIGGER failing_disk BEFORE INSERT ON households WHEN NEW.name = '新住户'
      BEGIN SELECT RAISE(ABORT, 'disk I/O error (simulated)'); END`);
    const file = await writeXlsxFile([
      ['小区', '楼栋', '房号', '姓名', '报平安方式', '紧急联系人', '联系电话', '关系'],
      ['阳光小区', '1号楼', '201', '张四', '24h+2h', '张儿子', '13900139000', '儿子'],
      ['阳光小区', '1号楼', '301', '新住户', '', '', '', ''],
    ]).toBuffer();
    expect((await send(system, who, 'households', file, true)).json()).toMatchObject({
      ok: true,
      created: 1,
      updated: 1,
      changes: [{ fields: ['name', 'checkin', 'contacts'] }],
    });
    const res = await send(system, who, 'households', file, false);
    expect(res.statusCode, res.body).toBe(500);
    expect(system.stores.places.getHousehold(id)?.name).toBe('张三');
    expect(system.stores.places.schedule(id)?.policy).toEqual({ kind: 'deadline', time: '10:00' });
    expect(system.stores.people.contacts(id).map((c) => [c.name, c.phone])).toEqual([['张女儿', '13800138000']]);
    expect(system.stores.places.listHouseholds()).toHaveLength(2);
  });

  it('when the templates are downloaded, then they hold the columns, an example row and 说明; read back by the import, the example row is what it plans', async () => {
    const { system, who } = await admin();
    const res = await get(system, who, '/api/import/households/template.xlsx');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(XLSX_TYPE);
    expect(res.headers['content-disposition']).toContain(`filename*=UTF-8''${encodeURIComponent('住户名单模板.xlsx')}`);
    const sheets = await readXlsxFile(res.rawPayload);
    expect(sheets.map((s) => s.sheet)).toEqual(['住户名单', '说明']);
    expect(sheets[1]?.data).toContainEqual([
      '紧急联系人',
      'contact_name',
      '选填',
      'optional',
      expect.any(String),
      expect.any(String),
    ]);
    expect(sheets[1]?.data).toContainEqual([
      '姓名',
      'name',
      '必填',
      'required',
      expect.any(String),
      expect.any(String),
    ]);

    const dry = await send(system, who, 'households', res.rawPayload, true);
    expect(dry.json()).toMatchObject({ ok: true, rows: 1, created: 1, errors: [] });
    expect((await send(system, who, 'households', res.rawPayload, false)).json()).toMatchObject({ created: 1 });
    expect(system.stores.places.listHouseholds().map((h) => [h.compound, h.building, h.room, h.name])).toEqual([
      ['幸福小区', '3号楼', '201', '张三'],
    ]);
    const people = await get(system, who, '/api/import/people/template.xlsx');
    expect(people.headers['content-disposition']).toContain(encodeURIComponent('人员名单模板.xlsx'));
    expect((await send(system, who, 'people', people.rawPayload, false)).json()).toMatchObject({
      ok: true,
      created: 1,
    });
    // The same person listed at another tier: an update of that person, not a second one.
    const [person] = system.stores.people.list();
    const tier2 = await writeXlsxFile([
      ['姓名', '电话', '角色', '层级', '小区', '楼栋'],
      ['王芳', '13900139000', '志愿者', '2', '幸福小区', '3号楼'],
    ]).toBuffer();
    expect((await send(system, who, 'people', tier2, true)).json()).toMatchObject({
      ok: true,
      created: 0,
      updated: 1,
      changes: [{ line: 2, personId: person?.id, fields: ['tier'], text: '层级变更：1 → 2', textEn: 'tier: 1 → 2' }],
    });
    expect((await send(system, who, 'people', tier2, false)).json()).toMatchObject({ ok: true, updated: 1 });
    expect(system.stores.people.list().map((p) => [p.id, p.name, p.tier])).toEqual([[person?.id, '王芳', 2]]);
  });

  it('when households are exported as .xlsx, then the sheet reads back as the CSV export, all text, and imports back unchanged', async () => {
    const { system, who } = await admin();
    await send(system, who, 'households', made.good, false);
    const csv = await get(system, who, '/api/export/households?format=csv');
    const xlsx = await get(system, who, '/api/export/households?format=xlsx');
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.headers['content-disposition']).toContain(`filename*=UTF-8''${encodeURIComponent('住户名单.xlsx')}`);
    const rows = await readSheet(xlsx.rawPayload);
    const csvRows = csv.body
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n')
      .map((l) => l.split(','));
    expect(rows.map((r) => r.map((c) => c ?? ''))).toEqual(csvRows);
    expect(rows[1]?.slice(2, 3)).toEqual(['201']);
    expect((await send(system, who, 'households', xlsx.rawPayload, true)).json()).toMatchObject({
      ok: true,
      unchanged: 2,
      created: 0,
    });
  });

  it('when the workbook is broken, a zip bomb or not a roster type, then it answers 400 or 415 in Chinese and English, and the server goes on', async () => {
    const { system, who } = await admin();
    const broken = await send(system, who, 'households', made.good.subarray(0, made.good.length - 200), true);
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error.message).toMatch(/^文件不是有效的 \.xlsx 工作簿.* \/ not a valid \.xlsx workbook/);

    const bomb = await send(system, who, 'households', zipBomb(100 * 1024 * 1024), true);
    expect(bomb.statusCode).toBe(400);
    expect(bomb.json().error.message).toMatch(/压缩炸弹.* \/ .*zip bomb/);

    const pdf = await send(system, who, 'households', '%PDF-1.4', true, 'application/pdf');
    expect(pdf.statusCode).toBe(415);
    expect(pdf.json().error.message).toMatch(/^名单请以文件上传：CSV.*xlsx.* \/ send the roster as a file: CSV/);

    // Still answering, and the good file still reads.
    expect((await send(system, who, 'households', made.good, true)).json()).toMatchObject({ ok: true, created: 2 });
  });
});
