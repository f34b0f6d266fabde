import fs from 'node:fs';
import path from 'node:path';
import { readSheet } from 'read-excel-file/node';
import writeXlsxFile from 'write-excel-file/node';
import { describe, expect, it, onTestFinished } from 'vitest';
import { connectDevice } from '../../../device-sim/device.js';
import { labelPayload } from '../../../protocol/label.js';
import { runAdmin } from '../../../server/admin/main.js';
import { qrMatrixPath } from '../../../server/app/fleet/labels-page.js';
import { provisionFleet } from '../../../server/app/fleet/provision.js';
import { addHousehold } from '../../../server/app/provision.js';
import { XLSX_TYPE } from '../../../server/app/roster/sheets.js';
import { type Caller, COMPOUND_A, COMPOUND_B, login, makeCast, send } from '../../helpers/api.js';
import { inventory } from '../../helpers/fleet.js';
import { startTestSystem, type TestSystem, tempDir } from '../../helpers/system.js';

// Fleet provisioning (issue 16): a sheet of households in, a device for each out — the sheet of
// secrets, the labels page, and a button configured from a label's QR text that presses red.

const N = 6;

async function world() {
  const system = await startTestSystem({ scheduler: false });
  const cast = await makeCast(system);
  const ids: number[] = [];
  for (let i = 0; i < N; i++)
    ids.push(
      addHousehold(
        system.stores,
        { compound: COMPOUND_A, building: '5号楼', room: `${301 + i}`, name: `批量${i}` },
        Date.now(),
      ),
    );
  const staffA = await login(system.app, cast.users.staffA.username);
  return { system, cast, ids, staffA };
}

/** The households as staff keep them: an .xlsx with 小区 楼栋 房号 姓名, written by write-excel-file. */
async function workbook(rows: ReadonlyArray<readonly string[]>): Promise<Buffer> {
  const data = [['小区', '楼栋', '房号', '姓名'], ...rows].map((r) => r.map((value) => ({ value, type: String })));
  return writeXlsxFile(data).toBuffer();
}

const post = (system: TestSystem, who: Caller, body: Buffer | string, dryRun: boolean, type = XLSX_TYPE) =>
  send(system.app, who, {
    method: 'POST',
    url: `/api/devices/batch?dryRun=${dryRun}`,
    payload: body,
    headers: { 'content-type': type },
  });

type Issued = { householdId: number; deviceId: string; secret: string; label: string; address: string };

describe('fleet provisioning', () => {
  it('when staff send an .xlsx of N households, then a dry run previews them, the real run answers N devices with secrets in the sheet, stores only hashes and writes one audit row without a secret', async () => {
    const { system, ids, staffA } = await world();
    const file = await workbook(ids.map((_, i) => [COMPOUND_A, '5号楼', `${301 + i}`, `批量${i}`]));

    const dry = await post(system, staffA, file, true);
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json()).toMatchObject({ ok: true, dryRun: true, format: 'xlsx', rows: N, created: N });
    expect(dry.json().households.map((h: { householdId: number }) => h.householdId)).toEqual(ids);
    expect(
      system.stores.households.pageDevices({ compoundIds: null, householdId: ids[0] as number }, { id: '' }, 10),
    ).toEqual([]);

    const res = await post(system, staffA, file, false);
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json() as { devices: Issued[]; sheet: { csv: string; xlsx: string }; connect: { port: number } };
    expect(body.devices.map((d) => d.householdId)).toEqual(ids);
    for (const d of body.devices) {
      expect(d.label).toBe(labelPayload(body.connect as never, { id: d.deviceId, secret: d.secret }));
      // Only the hash is stored.
      const stored = system.stores.devices.findForAuth(d.deviceId);
      expect(stored).not.toBeNull();
      expect(JSON.stringify(stored)).not.toContain(d.secret);
    }
    const sheet = await readSheet(Buffer.from(body.sheet.xlsx, 'base64'));
    expect(sheet).toHaveLength(N + 1);
    expect(sheet[0]).toContain('密钥(secret)');
    expect(sheet.slice(1).map((r) => [Number(r[0]), r[5], r[6]])).toEqual(
      body.devices.map((d) => [d.householdId, d.deviceId, d.secret]),
    );
    expect(body.sheet.csv.trim().split('\r\n')).toHaveLength(N + 1);
    expect(body.sheet.csv).toContain(body.devices[0]?.secret);

    const audit = system.stores.db
      .prepare("SELECT record FROM audit_log WHERE route LIKE '%/devices/batch%' ORDER BY id")
      .all() as Array<{ record: string }>;
    expect(audit.map((a) => a.record)).toEqual([
      `devices:batch:dry-run:${N} households`,
      expect.stringMatching(new RegExp(`^devices:batch:created ${N} `)),
    ]);
    for (const d of body.devices) expect(JSON.stringify(audit)).not.toContain(d.secret);
  });

  it('when a file has bad rows, then the dry run explains each in Chinese and English, and the real run creates nothing', async () => {
    const { system, cast, ids, staffA } = await world();
    const other = system.stores.places.getHousehold(cast.householdB);
    const file = await workbook([
      [COMPOUND_A, '5号楼', '301', '批量0'],
      [COMPOUND_A, '5号楼', '999', '无人'],
      [COMPOUND_B, other?.building ?? '', other?.room ?? '', other?.name ?? ''],
      [COMPOUND_A, '5号楼', '301', '批量0'],
      [COMPOUND_A, '5号楼', '302', '别人'],
    ]);
    const dry = await post(system, staffA, file, true);
    expect(dry.statusCode, dry.body).toBe(200);
    const report = dry.json();
    expect(report).toMatchObject({ ok: false, created: 0, households: [] });
    expect(report.errors).toEqual([
      expect.objectContaining({
        line: 3,
        reason: expect.stringContaining('没有地址'),
        reasonEn: expect.stringContaining('no open household'),
      }),
      expect.objectContaining({
        line: 4,
        reason: expect.stringContaining('没有地址'),
        reasonEn: expect.stringContaining('no open household'),
      }),
      expect.objectContaining({
        line: 5,
        reason: expect.stringContaining('第 2 行'),
        reasonEn: expect.stringContaining('line 2'),
      }),
      expect.objectContaining({
        line: 6,
        field: 'name',
        reason: expect.stringContaining('不符'),
        reasonEn: expect.stringContaining('not the registered'),
      }),
    ]);
    const real = await post(system, staffA, file, false);
    expect(real.statusCode).toBe(400);
    expect(real.json().error.message).toContain('未创建任何设备');
    expect(
      system.stores.households.pageDevices({ compoundIds: null, householdId: ids[0] as number }, { id: '' }, 10),
    ).toEqual([]);

    // By id: another compound's household reads as none; a batch over the limit is refused whole.
    const byId = await post(system, staffA, `住户编号\n${ids[1]}\n${cast.householdB}\n`, true, 'text/csv');
    expect(byId.json().errors).toEqual([
      expect.objectContaining({
        line: 3,
        field: 'household_id',
        reasonEn: `no household has the id ${cast.householdB}`,
      }),
    ]);
    const big = await post(
      system,
      staffA,
      `住户编号\n${Array.from({ length: 2001 }, () => ids[0]).join('\n')}\n`,
      true,
      'text/csv',
    );
    expect(big.statusCode).toBe(413);
    expect(big.json().error.message).toContain('一批最多 2000 户');
  });

  it('when the admin CLI provisions a file, then labels.html holds N QR codes of the labels beside them, and a button configured from one connects and presses red, stored', async () => {
    const { system, ids } = await world();
    const dir = tempDir('ribbon-fleet-');
    const file = path.join(dir, 'households.xlsx');
    fs.writeFileSync(file, await workbook(ids.map((_, i) => [COMPOUND_A, '5号楼', `${301 + i}`, `批量${i}`])));
    const outDir = path.join(dir, 'out');
    const port = system.mqttAddress?.port ?? 0;
    let printed = '';
    const code = await runAdmin(
      ['provision-devices', file, '--out', outDir, '--host', '127.0.0.1', '--port', String(port)],
      { DATA_DIR: system.dataDir },
      { write: (t) => (printed += t) },
    );
    expect(code, printed).toBe(0);
    expect(printed).toContain(`已添加 ${N} 台设备`);
    const cliAudit = system.stores.db
      .prepare("SELECT record, status FROM audit_log WHERE route = 'provision-devices'")
      .all() as Array<{ record: string; status: number }>;
    expect(cliAudit).toEqual([{ record: expect.stringMatching(new RegExp(`^devices:${N} \\(rp-`)), status: 0 }]);
    expect((fs.statSync(path.join(outDir, 'devices.csv')).mode & 0o777).toString(8)).toBe('600');
    const sheet = await readSheet(fs.readFileSync(path.join(outDir, 'devices.xlsx')));
    expect(sheet).toHaveLength(N + 1);

    const html = fs.readFileSync(path.join(outDir, 'labels.html'), 'utf8');
    expect(html).toContain('数据库只保存它的哈希');
    const figures = [
      ...html.matchAll(/<figure class="label" data-device="([^"]+)" data-label="([^"]+)">([\s\S]*?)<\/figure>/g),
    ];
    expect(figures).toHaveLength(N);
    expect(html.match(/<svg class="qr"/g)).toHaveLength(N);
    const fromHtml = (s: string) => s.replace(/&quot;/g, '"').replace(/&amp;/g, '&');
    const labels = figures.map((f) => {
      const text = fromHtml(f[2] as string);
      // The image is the QR matrix of exactly the text beside it.
      expect(f[3]).toContain(`d="${qrMatrixPath(text).d}"`);
      return JSON.parse(text) as { v: number; host: string; port: number; tls: boolean; id: string; secret: string };
    });
    // …and that text is the sheet's label and secret.
    expect(labels.map((l) => [l.id, l.secret])).toEqual(sheet.slice(1).map((r) => [r[5], r[6]]));

    const label = labels[2];
    if (label === undefined) throw new Error('no label');
    expect(label).toMatchObject({ v: 1, host: '127.0.0.1', port, tls: false });
    const button = await connectDevice({
      url: `${label.tls ? 'mqtts' : 'mqtt'}://${label.host}:${label.port}`,
      id: label.id,
      secret: label.secret,
      boot: 1,
    });
    onTestFinished(() => button.close());
    const { seq } = await button.press('red');
    await button.waitForAck({ seq, status: 'received' }, 5000);
    const events = system.stores.events.listForHousehold(ids[2] as number);
    expect(events).toEqual([expect.objectContaining({ state: 'red', seq })]);
  });

  it('when the inventory is asked by model, connection, low battery and last seen, then GET /api/devices filters on the server and pages by last seen without repeating a device', async () => {
    const { system, cast, staffA } = await world();
    const made = await inventory(system, {
      compound: COMPOUND_A,
      building: '8号楼',
      firstRoom: 80,
      count: 5,
      reports: [
        { battery: 90, model: 'RB-3', fw: '1.4.2' },
        { battery: 15, model: 'RB-3', fw: '1.4.2' },
        { battery: 55, model: 'RB-5', fw: '2.0.0' },
      ],
    });
    const ids = async (query: string) => {
      const res = await send(system.app, staffA, { method: 'GET', url: `/api/devices?${query}` });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as {
        items: Array<{ id: string; household?: { name: string; room: string } }>;
        next: string | null;
      };
    };
    const of = (...i: number[]) => i.map((k) => made[k]?.id);
    expect((await ids('model=RB-3')).items.map((d) => d.id).sort()).toEqual(of(0, 1).sort());
    expect((await ids('lowBattery=true')).items.map((d) => d.id)).toEqual(of(1));
    expect((await ids('online=true&model=RB-5')).items.map((d) => d.id)).toEqual(of(2));
    // Offline: the two that never connected and the cast's household's device; not B's.
    expect((await ids(`online=false&compoundId=${cast.compoundA.id}`)).items).toHaveLength(3);
    const models = await send(system.app, staffA, { method: 'GET', url: '/api/devices/models' });
    expect(models.json()).toEqual({ items: ['RB-3', 'RB-5'] });

    // Newest seen first, two at a time: every device of A once, the never seen last.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await ids(`sort=-lastSeen&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((d) => d.id));
      cursor = page.next;
    } while (cursor !== null);
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBe(6);
    expect(seen.slice(0, 3)).toEqual(of(2, 1, 0));
    const oldest = await ids('sort=lastSeen&limit=10');
    expect(oldest.items.slice(3).map((d) => d.id)).toEqual(of(0, 1, 2));
    expect(oldest.items.find((d) => d.id === made[0]?.id)?.household).toMatchObject({ room: '80' });
  });

  it('when a checked household is closed before the batch is written, then the whole batch is refused and no device is created', async () => {
    const { system, ids } = await world();
    const rows = ids.map((householdId, i) => ({
      line: i + 2,
      householdId,
      name: `批量${i}`,
      compound: COMPOUND_A,
      building: '5号楼',
      room: `${301 + i}`,
      address: '',
    }));
    system.stores.households.close(ids[3] as number, {
      at: Date.now(),
      on: '2026-12-03',
      reason: 'moved_out',
      note: '',
    });
    const refused = provisionFleet(system.stores, rows, { host: 'h', port: 1883, tls: false }, Date.now());
    expect(refused).toMatchObject({ ok: false, line: 5, reason: expect.stringContaining('未创建任何设备') });
    for (const id of ids)
      expect(system.stores.households.pageDevices({ compoundIds: null, householdId: id }, { id: '' }, 10)).toEqual([]);
  });
});
