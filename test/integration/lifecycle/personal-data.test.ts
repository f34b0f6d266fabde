import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAdmin } from '../../../server/admin/main.js';
import { castWorld, client, expectError, loginAdmin } from '../../helpers/api.js';
import { tempDir } from '../../helpers/system.js';

// A person's data on request and a closed household anonymised, over real HTTP (inject) and the
// admin CLI on the same SQLite file.

const T0 = Date.parse('2026-11-25T02:00:00Z');
/** The file's JSON, read loosely (its shape is asserted field by field). */
// biome-ignore lint/suspicious/noExplicitAny: a parsed JSON file, asserted by matchers
type Exported = Record<string, any>;

const DAUGHTER = { name: '张女儿', phone: '13900000001', relation: '女儿' };

async function world() {
  const w = await castWorld(T0);
  const admin = client(w.system.app, await loginAdmin(w.system.app));
  const id = w.cast.householdA;
  expect((await admin('PATCH', `/api/households/${id}`, { contacts: [DAUGHTER] })).statusCode).toBe(200);
  // A report with a note that names her, a yellow press resolved with an outcome note.
  expect(
    (await w.volunteer('POST', `/api/households/${id}/reports`, { state: 'yellow', note: '张桂兰说要买菜' }))
      .statusCode,
  ).toBe(201);
  const alert = w.system.stores.alerts.findOpen(id, 'service');
  if (alert === null) throw new Error('no service alert');
  await w.volunteer('POST', `/api/alerts/${alert.id}/ack`);
  expect((await w.volunteer('POST', `/api/alerts/${alert.id}/resolve`, { note: '已帮张桂兰买菜' })).statusCode).toBe(
    200,
  );
  return { ...w, admin, id, alertId: alert.id };
}

function close(w: Awaited<ReturnType<typeof world>>) {
  w.system.stores.db
    .prepare(
      "UPDATE households SET closed_at = ?, closed_on = '2026-11-30', closed_reason = 'moved_out', closed_note = '张桂兰搬去女儿家' WHERE id = ?",
    )
    .run(T0 + 1000, w.id);
}

async function cli(dataDir: string, ...argv: string[]) {
  let out = '';
  const code = await runAdmin(argv, { DATA_DIR: dataDir }, { write: (t) => (out += t) });
  return { code, out };
}

describe('personal data: export', () => {
  it("when staff of the compound ask for a household's data, then a JSON attachment holds the household, contacts, devices, events and alerts with transitions, and the export is audited", async () => {
    const w = await world();
    const res = await w.staff('GET', `/api/households/${w.id}/personal-data`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="personal-data-household-${w.id}-2026-11-25.json"; filename*=UTF-8''${encodeURIComponent(`个人信息-住户${w.id}-2026-11-25.json`)}`,
    );
    const data = res.json() as Exported;
    expect(data.kind).toBe('household');
    expect(data.household).toMatchObject({ id: w.id, compound: '阳光小区', createdAt: expect.any(String) });
    expect(data.contacts).toEqual([expect.objectContaining(DAUGHTER)]);
    expect(data.devices).toHaveLength(1);
    expect(JSON.stringify(data.devices)).not.toMatch(/secret|hash/i);
    expect(data.events).toEqual([expect.objectContaining({ state: 'yellow', note: '张桂兰说要买菜' })]);
    expect(data.alerts).toEqual([
      expect.objectContaining({
        id: w.alertId,
        kind: 'service',
        resolutionNote: '已帮张桂兰买菜',
        transitions: expect.arrayContaining([expect.objectContaining({ action: 'resolved' })]),
      }),
    ]);
    // The outsider (a volunteer of the other compound) is refused; the export left an audit row.
    expect((await w.outsider('GET', `/api/households/${w.id}/personal-data`)).statusCode).toBe(403);
    const audit = w.system.stores.users.auditPage(Number.MAX_SAFE_INTEGER, 50);
    expect(audit).toContainEqual(
      expect.objectContaining({
        method: 'GET',
        route: '/api/households/:id/personal-data',
        record: `household:${w.id}`,
        status: 200,
      }),
    );
  });

  it("when an admin asks for a person's data, then it holds the person, their login, duty shifts and the notifications addressed to them", async () => {
    const w = await world();
    const s = w.system.stores;
    const personId = s.people.add(
      {
        name: '周志愿',
        phone: '13800000009',
        role: 'volunteer',
        tier: 1,
        compoundId: w.cast.compoundA.id,
        buildingId: null,
      },
      T0,
    );
    s.transaction(() =>
      s.duty.replaceShifts(
        w.cast.compoundA.id,
        'Asia/Shanghai',
        [{ tier: 1, days: [1], start: '08:00', end: '20:00', personIds: [personId] }],
        T0,
      ),
    );
    s.outbox.insert(
      {
        target: 'none',
        channelId: null,
        deviceId: null,
        alertId: w.alertId,
        event: 'opened',
        recipients: [{ name: '周志愿', phone: '13800000009', role: 'volunteer', personId }],
        payload: { text: 'x' },
      },
      T0,
    );
    const res = await w.admin('GET', `/api/people/${personId}/personal-data`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-disposition']).toContain("filename*=UTF-8''");
    const data = res.json() as Exported;
    expect(data.person).toMatchObject({ id: personId, name: '周志愿', phone: '13800000009', compound: '阳光小区' });
    expect(data.dutyShifts).toEqual([expect.objectContaining({ roster: 'compound', place: '阳光小区', tier: 1 })]);
    expect(data.notifications).toEqual([
      expect.objectContaining({ event: 'opened', recipient: expect.objectContaining({ personId }) }),
    ]);
  });

  it('when the CLI exports a household, then the file is written 0600 with the same data', async () => {
    const w = await world();
    const file = path.join(tempDir(), 'elder.json');
    fs.writeFileSync(file, 'old', { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    const run = await cli(w.system.dataDir, 'export-person', '--household', String(w.id), '--out', file);
    expect(run).toEqual({ code: 0, out: `wrote ${file}\n` });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as Exported;
    expect(data.contacts).toEqual([expect.objectContaining(DAUGHTER)]);
    await expect(cli(w.system.dataDir, 'export-person', '--out', file)).rejects.toThrow(
      /--household ID or --person ID/,
    );
  });
});

describe('personal data: anonymise', () => {
  it('when the household is open, then anonymising is refused with 409', async () => {
    const w = await world();
    const err = expectError(await w.admin('POST', `/api/households/${w.id}/anonymise`), 409, 'RIBBON_ERR_CONFLICT');
    expect(err.message).toContain('尚未注销');
    expect(w.system.stores.people.contacts(w.id)).toHaveLength(1);
  });

  it('when a closed household is anonymised, then its name, contacts and notes are gone, its address and history stay, and it is audited; again changes nothing', async () => {
    const w = await world();
    close(w);
    const res = await w.admin('POST', `/api/households/${w.id}/anonymise`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: w.id, name: '已注销住户', room: expect.any(String), anonymised: true });
    const db = w.system.stores.db;
    const row = db.prepare('SELECT name, closed_note, anonymised_at FROM households WHERE id = ?').get(w.id);
    expect(row).toEqual({ name: '已注销住户', closed_note: null, anonymised_at: T0 });
    expect(w.system.stores.people.contacts(w.id)).toEqual([]);
    const everything = JSON.stringify((await w.admin('GET', `/api/households/${w.id}/personal-data`)).json());
    expect(everything).not.toContain('张桂兰');
    expect(everything).not.toContain(DAUGHTER.phone);
    // The history stays: the event and the alert with its times.
    expect(db.prepare('SELECT count(*) AS n FROM events WHERE household_id = ?').get(w.id)).toEqual({ n: 1 });
    expect(db.prepare('SELECT resolved_at FROM alerts WHERE id = ?').get(w.alertId)).toEqual({
      resolved_at: expect.any(Number),
    });
    const audit = w.system.stores.users.auditPage(Number.MAX_SAFE_INTEGER, 50);
    expect(audit).toContainEqual(
      expect.objectContaining({
        method: 'POST',
        route: '/api/households/:id/anonymise',
        record: `household:${w.id}`,
        status: 200,
      }),
    );
    // Idempotent.
    w.clock.ms += 60_000;
    expect((await w.admin('POST', `/api/households/${w.id}/anonymise`)).statusCode).toBe(200);
    expect(db.prepare('SELECT anonymised_at FROM households WHERE id = ?').get(w.id)).toEqual({ anonymised_at: T0 });
    expect((await w.staff('POST', `/api/households/${w.id}/anonymise`)).statusCode).toBe(403);
  });

  it('when the CLI anonymises, then an open household is refused (exit 2) and a closed one is anonymised', async () => {
    const w = await world();
    await expect(cli(w.system.dataDir, 'anonymise-household', '--household', String(w.id))).rejects.toThrow(
      /尚未注销.*not closed/,
    );
    close(w);
    expect(await cli(w.system.dataDir, 'anonymise-household', '--household', String(w.id))).toEqual({
      code: 0,
      out: `household ${w.id} anonymised\n`,
    });
    expect(w.system.stores.places.getHousehold(w.id)?.name).toBe('已注销住户');
    expect(w.system.stores.people.contacts(w.id)).toEqual([]);
  });
});

describe('retention settings', () => {
  it('when an admin reads them, then they are the configured months, the hour and its zone', async () => {
    const w = await world();
    const res = await w.admin('GET', '/api/settings/retention');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      eventsMonths: 24,
      visitsMonths: 24,
      rejectedMonths: 3,
      auditMonths: 60,
      householdChangesKept: 10_000,
      time: '04:15',
      timeZone: 'Asia/Shanghai',
    });
    expect((await w.staff('GET', '/api/settings/retention')).statusCode).toBe(403);
  });
});
