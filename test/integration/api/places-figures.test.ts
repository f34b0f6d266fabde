import { describe, expect, it } from 'vitest';
import { PLACE_FIGURES_CSV_HEADER } from '../../../server/api/routes/places-figures.js';
import { addUser, client, expectError, login, loginAdmin } from '../../helpers/api.js';
import { ManualClock } from '../../helpers/clock.js';
import { smallDistrict } from '../../helpers/district.js';
import { captureLogs, startTestSystem } from '../../helpers/system.js';
import { createDailyReport } from '../../../server/app/daily-report.js';

// Roll-ups over HTTP (issue 14, point 3): GET /api/figures/places and its CSV, within the
// caller's scope only; a real SQLite file, app.inject(), a manual clock.

const T0 = Date.parse('2026-11-25T09:00:00+08:00');

type PlaceFigures = {
  level: string;
  id: number;
  name: string;
  compounds: number;
  figures: { households: number; devicesOffline: number; emergency: { opened: number } };
};
type Result = {
  day: string;
  place: PlaceFigures;
  path: Array<{ level: string; name: string }>;
  children: PlaceFigures[];
  households: Array<{ name: string; room: string; device: string; state: string | null }> | null;
};

async function world() {
  const clock = new ManualClock(T0);
  const system = await startTestSystem({ clock, scheduler: false });
  const d = smallDistrict(system.stores, T0);
  // Households with devices: two in 甲, one in 乙 and 丙 (east), two in 丁 (west); one device offline.
  const made = [
    system.provision({ compound: '甲小区', room: '101', name: '张奶奶' }),
    system.provision({ compound: '甲小区', room: '102', name: '李爷爷' }),
    system.provision({ compound: '乙小区', room: '201' }),
    system.provision({ compound: '丙小区', room: '301' }),
    system.provision({ compound: '丁小区', room: '401' }),
    system.provision({ compound: '丁小区', room: '402' }),
  ];
  for (const m of made) system.stores.devices.setOnline(m.id, true, T0);
  system.stores.devices.setOnline(made[1]?.id ?? '', false, T0);
  const user = await addUser(system, { username: 'east-official', role: 'staff', displayName: '东街道王主任' });
  system.stores.users.setScope(user.id, [{ level: 'street', id: d.east, readOnly: true }]);
  const east = client(system.app, await login(system.app, 'east-official'));
  const admin = client(system.app, await loginAdmin(system.app));
  return { system, d, east, admin };
}

describe('GET /api/figures/places', () => {
  it('when a street official asks, then they get their street and its communities and compounds only, never the other street', async () => {
    const { d, east, admin } = await world();
    const top = await east('GET', '/api/figures/places');
    expect(top.statusCode, top.body).toBe(200);
    const body = top.json() as Result;
    expect(body.day).toBe('2026-11-25');
    expect(body.place).toMatchObject({ level: 'street', id: d.east, name: '东街道', compounds: 3 });
    expect(body.place.figures).toMatchObject({ households: 4, devicesOffline: 1 });
    expect(body.path.map((p) => p.name)).toEqual(['本区']);
    expect(body.children.map((c) => [c.name, c.compounds, c.figures.households])).toEqual([
      ['东一社区', 2, 3],
      ['东二社区', 1, 1],
    ]);

    // The district, as far as their street goes: the west street's households are not in it.
    const district = (await east('GET', '/api/figures/places?level=district&id=1')).json() as Result;
    expect(district.place.figures.households).toBe(4);
    expect(district.children.map((c) => c.name)).toEqual(['东街道']);

    // The west street, its community and compound are not there for them (as for a place that does not exist).
    for (const url of [
      `/api/figures/places?level=street&id=${d.west}`,
      `/api/figures/places?level=community&id=${d.w1}`,
      `/api/figures/places?level=compound&id=${d.d}`,
      `/api/figures/places.csv?level=street&id=${d.west}`,
      '/api/figures/places?level=street&id=9999',
    ]) {
      expectError(await east('GET', url), 404, 'RIBBON_ERR_NOT_FOUND');
    }
    // The admin sees the whole district, the empty default street too.
    const all = (await admin('GET', '/api/figures/places?level=district&id=1')).json() as Result;
    expect(all.place.figures.households).toBe(6);
    expect(all.children.map((c) => c.name)).toEqual(['东街道', '本街道', '西街道']);
  });

  it('when a place is opened down to its compound, then the drill-down reaches the households with their device state', async () => {
    const { d, east } = await world();
    const community = (await east('GET', `/api/figures/places?level=community&id=${d.e1}`)).json() as Result;
    expect(community.children.map((c) => [c.level, c.name])).toEqual([
      ['compound', '乙小区'],
      ['compound', '甲小区'],
    ]);
    expect(community.households).toBeNull();
    const res = await east('GET', `/api/figures/places?level=compound&id=${d.a}`);
    expect(res.statusCode, res.body).toBe(200);
    const compound = res.json() as Result;
    expect(compound.path.map((p) => p.name)).toEqual(['本区', '东街道', '东一社区']);
    expect(compound.children).toEqual([]);
    expect(compound.households?.map((h) => [h.name, h.room, h.device])).toEqual([
      ['张奶奶', '101', 'online'],
      ['李爷爷', '102', 'offline'],
    ]);
  });

  it('when the figures are exported, then the CSV opens in Excel: a BOM, the Chinese headers, one row per place down to the compounds', async () => {
    const { d, east } = await world();
    const res = await east('GET', '/api/figures/places.csv');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="figures-street-${d.east}-2026-11-25.csv"`);
    expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const lines = res.body.replace(/^\uFEFF/, '').split('\r\n');
    expect(lines.at(-1)).toBe('');
    const rows = lines.slice(0, -1).map((l) => l.split(','));
    expect(rows[0]).toEqual(PLACE_FIGURES_CSV_HEADER);
    expect(rows[0]?.slice(0, 6)).toEqual([
      '层级 level',
      '编号 id',
      '名称 name',
      '上级 parent',
      '小区数 compounds',
      '户数 households',
    ]);
    expect(rows.slice(1).map((r) => [r[0], r[2], r[3], r[5]])).toEqual([
      ['街道 street', '东街道', '本区', '4'],
      ['社区 community', '东一社区', '东街道', '3'],
      ['小区 compound', '乙小区', '东一社区', '1'],
      ['小区 compound', '甲小区', '东一社区', '2'],
      ['社区 community', '东二社区', '东街道', '1'],
      ['小区 compound', '丙小区', '东二社区', '1'],
    ]);
    // Coverage: 3 of the street's 4 households have a working device (75 %); the offline count is there.
    const header = rows[0] ?? [];
    const street = rows[1] ?? [];
    expect(street[header.indexOf('设备覆盖率% coverage %')]).toBe('75');
    expect(street[header.indexOf('离线设备 devices offline')]).toBe('1');
  });

  it('when level comes without id, or the day is not a date, then 400', async () => {
    const { east } = await world();
    expectError(await east('GET', '/api/figures/places?level=street'), 400, 'RIBBON_ERR_VALIDATION');
    expectError(await east('GET', '/api/figures/places?day=2026-02-30'), 400, 'RIBBON_ERR_VALIDATION');
    expectError(await east('GET', '/api/figures/places?level=building&id=1'), 400, 'RIBBON_ERR_VALIDATION');
  });
});

describe('GET /api/reports/daily roll-ups', () => {
  it('when the compounds have reports, then the district and each street come summed, within the caller’s scope', async () => {
    const { system, d, east, admin } = await world();
    createDailyReport({ stores: system.stores, log: captureLogs().log }).run('2026-11-25', 'Asia/Shanghai', T0);
    const mine = (await east('GET', '/api/reports/daily?day=2026-11-25')).json() as {
      items: Array<{ compoundId: number }>;
      places: Array<{ level: string; id: number; compounds: number; figures: { reports: number; households: number } }>;
    };
    expect(mine.items.map((i) => i.compoundId).sort()).toEqual([d.a, d.b, d.c].sort());
    expect(mine.places.map((p) => [p.level, p.id, p.compounds, p.figures.reports, p.figures.households])).toEqual([
      ['district', 1, 3, 3, 4],
      ['street', d.east, 3, 3, 4],
      ['community', d.e1, 2, 2, 3],
      ['community', d.e2, 1, 1, 1],
    ]);
    const all = (await admin('GET', '/api/reports/daily?day=2026-11-25')).json() as typeof mine;
    expect(all.places.find((p) => p.level === 'district')?.figures).toMatchObject({ reports: 4, households: 6 });
  });
});
