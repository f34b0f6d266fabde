import { describe, expect, it, onTestFinished } from 'vitest';
import { runAdmin } from '../../../server/admin/main.js';
import { addHousehold } from '../../../server/app/provision.js';
import { type ScheduleChange, setCheckInSchedule } from '../../../server/app/set-check-in-schedule.js';
import { openDatabase } from '../../../server/store/db.js';
import { createStores } from '../../../server/store/index.js';
import { client, loginAdmin } from '../../helpers/api.js';
import { ManualClock } from '../../helpers/clock.js';
import { startTestSystem, tempDir } from '../../helpers/system.js';

// One rule for a check-in schedule, whoever sets it: the HTTP API (PATCH), the admin command
// (set-checkin) and a roster import, on one real SQLite file. Each household below was
// registered at T0 and never checked in; its schedule is set later (API, admin) or with it
// (import), and all three must then be due at the same instant, counted from registration.

/** 21:00 in Shanghai, 14:00 in Berlin (before its summer time). */
const T0 = Date.parse('2026-03-02T21:00:00+08:00');
/** When the API and the admin command set the schedule: hours after registration. */
const LATER = T0 + 5 * 3600_000;
const COMPOUND = '春晖小区';
const CSV_HEADER = '小区,楼栋,房号,姓名,时区,报平安方式,免打扰时段,紧急联系人,联系电话,关系';

type Case = {
  schedule: string;
  api: Record<string, unknown>;
  admin: string[];
  csv: { timezone: string; checkin: string; quiet: string };
  dueAt: string;
};

const CASES: Case[] = [
  {
    // 21:00 + 70 min is 22:10, inside the quiet hours: it waits until they end.
    schedule: 'every hour with 10 min grace, quiet 22:00-07:00',
    api: { checkin: { everySec: 3600, graceSec: 600 }, quietHours: { start: '22:00', end: '07:00' } },
    admin: ['--every', '3600', '--grace', '600', '--quiet', '22:00-07:00'],
    csv: { timezone: '', checkin: '1h+10m', quiet: '22:00-07:00' },
    dueAt: '2026-03-03T07:00:00+08:00',
  },
  {
    // The first 10:00 in Berlin after registration (14:00 there), not after the change.
    schedule: 'daily by 10:00 in Europe/Berlin',
    api: { checkin: { deadline: '10:00' }, timezone: 'Europe/Berlin' },
    admin: ['--deadline', '10:00', '--timezone', 'Europe/Berlin'],
    csv: { timezone: 'Europe/Berlin', checkin: '每日10:00', quiet: '' },
    dueAt: '2026-03-03T10:00:00+01:00',
  },
];

describe('setting a check-in schedule', () => {
  it.each(CASES)(
    'when $schedule is set through the API, the admin command and a roster import on a household that never checked in, then all three are due at the same time, counted from its registration',
    async (c) => {
      const clock = new ManualClock(T0);
      const system = await startTestSystem({ clock, scheduler: false });
      const admin = client(system.app, await loginAdmin(system.app));
      const dueOf = (id: number) => system.stores.places.schedule(id)?.checkInDueAt;

      // Registered at T0, all three.
      const created = await admin('POST', '/api/households', {
        compound: COMPOUND,
        building: '1号楼',
        room: '101',
        name: '经由接口',
      });
      expect(created.statusCode, created.body).toBe(201);
      const viaApi = (created.json() as { id: number }).id;
      const viaAdmin = addHousehold(
        system.stores,
        { compound: COMPOUND, building: '1号楼', room: '102', name: '经由命令' },
        T0,
      );
      const csv = `${CSV_HEADER}\r\n${COMPOUND},1号楼,103,经由导入,${c.csv.timezone},${c.csv.checkin},${c.csv.quiet},,,\r\n`;
      const imported = await admin('POST', '/api/import/households?dryRun=false', csv, { 'content-type': 'text/csv' });
      expect(imported.statusCode, imported.body).toBe(200);
      const viaImport = system.stores.places.listHouseholds().find((h) => h.name === '经由导入')?.id ?? 0;

      // The API and the admin command change the schedule hours later.
      clock.ms = LATER;
      const patched = await admin('PATCH', `/api/households/${viaApi}`, c.api);
      expect(patched.statusCode, patched.body).toBe(200);
      let out = '';
      const code = await runAdmin(
        ['set-checkin', '--household', String(viaAdmin), ...c.admin, '--json'],
        { DATA_DIR: system.dataDir },
        { write: (t) => (out += t) },
      );
      expect(code).toBe(0);

      const dueAt = Date.parse(c.dueAt);
      expect({ api: dueOf(viaApi), admin: dueOf(viaAdmin), import: dueOf(viaImport) }).toEqual({
        api: dueAt,
        admin: dueAt,
        import: dueAt,
      });
      expect(patched.json()).toMatchObject({ checkInDueAt: new Date(dueAt).toISOString() });
      expect(JSON.parse(out)).toMatchObject({ checkInDueAt: new Date(dueAt).toISOString() });
    },
  );
});

describe('setCheckInSchedule', () => {
  /** A household registered at T0 in a fresh database, checked in at `checkInAt` if given. */
  function registered(checkInAt?: number) {
    const stores = createStores(openDatabase(tempDir()));
    onTestFinished(() => {
      stores.db.close();
    });
    const id = addHousehold(stores, { compound: COMPOUND, building: '1号楼', room: '101', name: '张桂兰' }, T0);
    if (checkInAt !== undefined) stores.places.recordReport(id, 'blue', checkInAt, null);
    return { stores, id };
  }
  const at = (local: string) => Date.parse(local);
  const HOUR = 3600_000;

  it.each<[string, number | undefined, ScheduleChange, number]>([
    [
      'never checked in: from registration',
      undefined,
      { policy: { kind: 'interval', everySec: 3600, graceSec: 600 } },
      T0 + 70 * 60_000,
    ],
    [
      'checked in: from the check-in',
      T0 + 2 * HOUR,
      { policy: { kind: 'interval', everySec: 3600, graceSec: 600 } },
      T0 + 2 * HOUR + 70 * 60_000,
    ],
    // 26 h after registration is 03-03 23:00, on an away day: the day after it starts, plus the grace.
    ['away: after the away days', undefined, { awayUntil: '2026-03-05' }, at('2026-03-06T02:00:00+08:00')],
    [
      'a deadline: the first after registration',
      undefined,
      { policy: { kind: 'deadline', time: '10:00' } },
      at('2026-03-03T10:00:00+08:00'),
    ],
  ])('when %s, then the due time is that', (_name, checkInAt, change, dueAt) => {
    const { stores, id } = registered(checkInAt);
    const set = setCheckInSchedule(stores, id, change);
    expect(set).toMatchObject({ ok: true, dueAt });
    expect(stores.places.schedule(id)?.checkInDueAt).toBe(dueAt);
  });

  it('when fields are left out, then they keep their values; a null policy is stored as NULL and read as the default', () => {
    const { stores, id } = registered();
    setCheckInSchedule(stores, id, { quietHours: { start: '22:00', end: '07:00' }, timeZone: 'Europe/Berlin' });
    const set = setCheckInSchedule(stores, id, { policy: null, awayUntil: '2026-03-04' });
    expect(set).toMatchObject({
      ok: true,
      schedule: {
        policy: { kind: 'interval', everySec: 86_400, graceSec: 7_200 },
        timeZone: 'Europe/Berlin',
        quietHours: { start: '22:00', end: '07:00' },
        awayUntil: '2026-03-04',
      },
    });
    expect(stores.places.schedule(id)).toMatchObject({ policy: null, timezone: 'Europe/Berlin' });
  });

  it('when the change is not valid or the household does not exist, then it is refused and nothing changes', () => {
    const { stores, id } = registered();
    const before = stores.places.schedule(id);
    expect(setCheckInSchedule(stores, id, { timeZone: 'Mars/Olympus' })).toMatchObject({
      ok: false,
      kind: 'validation',
      reason: expect.stringContaining('timeZone'),
    });
    expect(setCheckInSchedule(stores, id, { quietHours: { start: '25:00', end: '07:00' } })).toMatchObject({
      ok: false,
      kind: 'validation',
    });
    expect(setCheckInSchedule(stores, id + 1, { awayUntil: null })).toMatchObject({ ok: false, kind: 'notFound' });
    expect(stores.places.schedule(id)).toEqual(before);
  });
});
