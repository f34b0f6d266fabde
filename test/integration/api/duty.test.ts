import { describe, expect, it } from 'vitest';
import type { Person } from '../../../server/app/ports.js';
import { ON_DUTY_SQL } from '../../../server/store/duty.js';
import { castWorld, client, expectError, loginAdmin, login } from '../../helpers/api.js';

// Duty rosters (issue 13, point 4) over HTTP and in the store, on a real SQLite file: the weekly
// shifts, swaps and leave, who is on duty now and next, and DutyStore.onDuty — the port the red
// press reads — giving the same answer as the page.

const at = (iso: string): number => Date.parse(iso);
// Monday 2026-11-23, 09:00 in Shanghai.
const T0 = at('2026-11-23T09:00:00+08:00');
const WEEKDAYS = [1, 2, 3, 4, 5];

type DutyView = {
  timeZone: string;
  tiers: Array<{
    tier: number;
    roster: boolean;
    onDuty: Array<{ id: number; name: string }>;
    next: { at: number; people: Array<{ id: number }> } | null;
  }>;
  shifts: Array<{ id: number; tier: number; days: number[]; start: string; end: string; personIds: number[] }>;
  overrides: Array<{ id: number; personId: number; replacementId: number | null; from: number; to: number }>;
  people: Array<{ id: number; name: string }>;
};

async function world() {
  const w = await castWorld(T0);
  const { system, cast } = w;
  const A = cast.compoundA.id;
  const add = (name: string, tier: 1 | 2 | 3, scope: Pick<Person, 'compoundId' | 'buildingId'>, phone: string) =>
    system.stores.people.add({ name, phone, role: 'grid_worker', tier, ...scope }, T0);
  const buildingA = system.stores.places.getHousehold(cast.householdA)?.buildingId ?? 0;
  const people = {
    day: add('白班网格员', 2, { compoundId: A, buildingId: null }, '13800000101'),
    night: add('夜班网格员', 2, { compoundId: A, buildingId: null }, '13800000102'),
    standIn: add('替班网格员', 2, { compoundId: A, buildingId: null }, '13800000103'),
    community: add('社区值班员', 2, { compoundId: null, buildingId: null }, '13800000104'),
    oneBuilding: add('一号楼志愿者', 2, { compoundId: A, buildingId: buildingA }, '13800000105'),
    otherCompound: add('幸福里网格员', 2, { compoundId: cast.compoundB.id, buildingId: null }, '13800000106'),
    tierOne: add('一级志愿者', 1, { compoundId: A, buildingId: null }, '13800000107'),
  };
  const week = [
    { tier: 2, days: WEEKDAYS, start: '08:00', end: '20:00', personIds: [people.day] },
    { tier: 2, days: WEEKDAYS, start: '20:00', end: '08:00', personIds: [people.night] },
  ];
  const onDuty = (tier: 1 | 2 | 3, iso: string, compound = A) => system.stores.duty.onDuty(compound, tier, at(iso));
  return { ...w, A, people, week, onDuty };
}

describe('duty rosters over the API', () => {
  it('when a compound has no roster, then onDuty is null (everyone answers) and the page says so per tier', async () => {
    const { volunteer, A, onDuty } = await world();
    expect(onDuty(2, '2026-11-23T09:00:00+08:00')).toBeNull();
    const res = await volunteer('GET', `/api/compounds/${A}/duty`);
    expect(res.statusCode, res.body).toBe(200);
    const view = res.json() as DutyView;
    expect(view.timeZone).toBe('Asia/Shanghai');
    expect(view.tiers.map((t) => [t.tier, t.roster, t.onDuty.length])).toEqual([
      [1, false, 0],
      [2, false, 0],
      [3, false, 0],
    ]);
  });

  it('when staff set a day and a night shift, then the store and the page agree on who is on duty now and next, across midnight', async () => {
    const { staff, volunteer, A, people, week, onDuty, cast } = await world();
    const put = await staff('PUT', `/api/compounds/${A}/duty`, { shifts: week });
    expect(put.statusCode, put.body).toBe(200);
    const view = put.json() as DutyView;
    const tier2 = view.tiers.find((t) => t.tier === 2);
    expect(tier2?.roster).toBe(true);
    expect(tier2?.onDuty.map((p) => p.id)).toEqual([people.day]);
    expect(tier2?.next).toEqual({
      at: at('2026-11-23T20:00:00+08:00'),
      people: [expect.objectContaining({ id: people.night })],
    });
    // Whom the roster may name: the compound's and the community's tier-2 people, not a building's or another compound's.
    expect(view.people.map((p) => p.id).sort()).toEqual(
      [people.day, people.night, people.standIn, people.community, people.tierOne].sort(),
    );

    expect(onDuty(2, '2026-11-23T09:00:00+08:00')).toEqual([people.day]);
    expect(onDuty(2, '2026-11-23T20:00:00+08:00')).toEqual([people.night]);
    expect(onDuty(2, '2026-11-24T03:00:00+08:00')).toEqual([people.night]);
    // Saturday 12:00: a roster exists and nobody is on duty.
    expect(onDuty(2, '2026-11-28T12:00:00+08:00')).toEqual([]);
    // Other tiers and compounds have none.
    expect(onDuty(1, '2026-11-23T09:00:00+08:00')).toBeNull();
    expect(onDuty(2, '2026-11-23T09:00:00+08:00', cast.compoundB.id)).toBeNull();
    expect((await volunteer('GET', `/api/compounds/${A}/duty`)).json()).toMatchObject({
      shifts: [
        { tier: 2, days: WEEKDAYS, start: '08:00', end: '20:00', personIds: [people.day] },
        { tier: 2, days: WEEKDAYS, start: '20:00', end: '08:00', personIds: [people.night] },
      ],
    });
  });

  it('when leave starts inside the night shift with nobody in place, and a swap covers the day, then on duty follows both and removing the leave restores it', async () => {
    const { staff, clock, A, people, week, onDuty } = await world();
    await staff('PUT', `/api/compounds/${A}/duty`, { shifts: week });
    const leave = await staff('POST', `/api/compounds/${A}/duty/overrides`, {
      tier: 2,
      personId: people.night,
      replacementId: null,
      from: '2026-11-23T23:00',
      to: '2026-11-24T08:00',
      note: '家中有事',
    });
    expect(leave.statusCode, leave.body).toBe(201);
    const swap = await staff('POST', `/api/compounds/${A}/duty/overrides`, {
      tier: 2,
      personId: people.day,
      replacementId: people.standIn,
      from: '2026-11-23T12:00:00+08:00',
      to: '2026-11-23T06:00:00Z',
    });
    expect(swap.statusCode, swap.body).toBe(201);

    expect(onDuty(2, '2026-11-23T11:59:00+08:00')).toEqual([people.day]);
    expect(onDuty(2, '2026-11-23T13:00:00+08:00')).toEqual([people.standIn]);
    expect(onDuty(2, '2026-11-23T14:00:00+08:00')).toEqual([people.day]);
    expect(onDuty(2, '2026-11-23T22:59:00+08:00')).toEqual([people.night]);
    expect(onDuty(2, '2026-11-24T01:00:00+08:00')).toEqual([]);

    // The page, at 20:30, sees the hole coming at 23:00.
    clock.ms = at('2026-11-23T20:30:00+08:00');
    const view = (await staff('GET', `/api/compounds/${A}/duty`)).json() as DutyView;
    expect(view.tiers[1]?.next).toEqual({ at: at('2026-11-23T23:00:00+08:00'), people: [] });
    expect(view.overrides.map((o) => o.id)).toContain((leave.json() as { id: number }).id);

    const removed = await staff('DELETE', `/api/duty/overrides/${(leave.json() as { id: number }).id}`);
    expect(removed.statusCode, removed.body).toBe(204);
    expect(onDuty(2, '2026-11-24T01:00:00+08:00')).toEqual([people.night]);
  });

  it('when someone on a roster or standing in is retired, then they are never on duty (a swap to them leaves nobody)', async () => {
    const { staff, system, A, people, week, onDuty } = await world();
    await staff('PUT', `/api/compounds/${A}/duty`, {
      shifts: [{ ...week[0], personIds: [people.day, people.community] }, week[1]],
    });
    await staff('POST', `/api/compounds/${A}/duty/overrides`, {
      tier: 2,
      personId: people.night,
      replacementId: people.standIn,
      from: '2026-11-23T20:00',
      to: '2026-11-24T08:00',
    });
    expect(onDuty(2, '2026-11-23T09:00:00+08:00')).toEqual([people.day, people.community].sort((a, b) => a - b));
    expect(onDuty(2, '2026-11-23T21:00:00+08:00')).toEqual([people.standIn]);
    system.stores.people.retire(people.day, T0);
    system.stores.people.retire(people.standIn, T0);
    expect(onDuty(2, '2026-11-23T09:00:00+08:00')).toEqual([people.community]);
    expect(onDuty(2, '2026-11-23T21:00:00+08:00')).toEqual([]);
    const view = (await staff('GET', `/api/compounds/${A}/duty`)).json() as DutyView;
    expect(view.tiers[1]?.onDuty.map((p) => p.id)).toEqual([people.community]);
  });

  it('when a tier is given no shifts, then it has no roster again (onDuty null)', async () => {
    const { staff, A, week, onDuty } = await world();
    await staff('PUT', `/api/compounds/${A}/duty`, { shifts: week });
    expect(onDuty(2, '2026-11-28T12:00:00+08:00')).toEqual([]);
    expect((await staff('PUT', `/api/compounds/${A}/duty`, { shifts: [] })).statusCode).toBe(200);
    expect(onDuty(2, '2026-11-28T12:00:00+08:00')).toBeNull();
  });

  it('when the roster is in another zone, then shifts are read in it', async () => {
    const { staff, A, people, onDuty } = await world();
    const put = await staff('PUT', `/api/compounds/${A}/duty`, {
      timeZone: 'Europe/Berlin',
      shifts: [{ tier: 2, days: [1], start: '08:00', end: '20:00', personIds: [people.day] }],
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(onDuty(2, '2026-11-23T07:30:00Z')).toEqual([people.day]); // 08:30 in Berlin, 15:30 in Shanghai
    expect(onDuty(2, '2026-11-23T06:30:00Z')).toEqual([]); // 07:30 in Berlin
  });
});

describe('bad input is refused with the field named, and nothing changes', () => {
  it.each<[string, (p: Record<string, number>) => unknown, string]>([
    [
      'a building’s volunteer',
      (p) => ({ shifts: [{ tier: 2, days: [1], start: '08:00', end: '20:00', personIds: [p.oneBuilding] }] }),
      'body.shifts.0.personIds',
    ],
    [
      'another compound’s person',
      (p) => ({ shifts: [{ tier: 2, days: [1], start: '08:00', end: '20:00', personIds: [p.otherCompound] }] }),
      'body.shifts.0.personIds',
    ],
    [
      'a person of another tier',
      (p) => ({ shifts: [{ tier: 2, days: [1], start: '08:00', end: '20:00', personIds: [p.tierOne] }] }),
      'body.shifts.0.personIds',
    ],
    [
      'a person who does not exist',
      () => ({ shifts: [{ tier: 2, days: [1], start: '08:00', end: '20:00', personIds: [999_999] }] }),
      'body.shifts.0.personIds',
    ],
    [
      'a time that is not HH:MM',
      (p) => ({ shifts: [{ tier: 2, days: [1], start: '8:00', end: '20:00', personIds: [p.day] }] }),
      'body.shifts.0.start',
    ],
    [
      'a weekday 8',
      (p) => ({ shifts: [{ tier: 2, days: [8], start: '08:00', end: '20:00', personIds: [p.day] }] }),
      'body.shifts.0.days.0',
    ],
    [
      'a day twice',
      (p) => ({ shifts: [{ tier: 2, days: [1, 1], start: '08:00', end: '20:00', personIds: [p.day] }] }),
      'body.shifts.0.days',
    ],
    [
      'a zone that is not one',
      (p) => ({
        timeZone: '+08:00',
        shifts: [{ tier: 2, days: [1], start: '08:00', end: '20:00', personIds: [p.day] }],
      }),
      'body.timeZone',
    ],
    ['an unknown field', () => ({ shifts: [], owner: 1 }), 'body.owner'],
  ])('when the shifts hold %s, then 400 names its field', async (_name, body, path) => {
    const { staff, A, people, week, onDuty } = await world();
    await staff('PUT', `/api/compounds/${A}/duty`, { shifts: week });
    const error = expectError(
      await staff('PUT', `/api/compounds/${A}/duty`, body(people)),
      400,
      'RIBBON_ERR_VALIDATION',
    );
    expect(error.fields?.map((f) => f.path)).toContain(path);
    expect(onDuty(2, '2026-11-23T09:00:00+08:00')).toEqual([people.day]);
  });

  it.each<[string, (p: Record<string, number>) => Record<string, unknown>, string]>([
    ['a tier with no roster', (p) => ({ tier: 1, personId: p.tierOne }), 'body.tier'],
    ['someone not on the roster', (p) => ({ personId: p.standIn }), 'body.personId'],
    ['a replacement of another compound', (p) => ({ replacementId: p.otherCompound }), 'body.replacementId'],
    ['the same person as replacement', (p) => ({ replacementId: p.day }), 'body.replacementId'],
    ['an end before the start', () => ({ to: '2026-11-23T10:00' }), 'body.to'],
    ['an end already past', () => ({ from: '2026-11-20T10:00', to: '2026-11-21T10:00' }), 'body.to'],
    ['a start that is not a time', () => ({ from: '明天' }), 'body.from'],
    ['a date that does not exist', () => ({ from: '2026-02-30T08:00' }), 'body.from'],
  ])('when an override has %s, then 400 names its field', async (_name, change, path) => {
    const { staff, A, people, week } = await world();
    await staff('PUT', `/api/compounds/${A}/duty`, { shifts: week });
    const body = {
      tier: 2,
      personId: people.day,
      replacementId: null,
      from: '2026-11-23T12:00',
      to: '2026-11-23T14:00',
      ...change(people),
    };
    const error = expectError(
      await staff('POST', `/api/compounds/${A}/duty/overrides`, body),
      400,
      'RIBBON_ERR_VALIDATION',
    );
    expect(error.fields?.map((f) => f.path)).toContain(path);
    expect(((await staff('GET', `/api/compounds/${A}/duty`)).json() as DutyView).overrides).toEqual([]);
  });
});

describe('who may read and edit', () => {
  it('when a volunteer of the compound, an outsider and an admin ask, then only staff and admins edit and outsiders see nothing', async () => {
    const { system, staff, volunteer, outsider, cast, A, week } = await world();
    expect((await volunteer('GET', `/api/compounds/${A}/duty`)).statusCode).toBe(200);
    expectError(await volunteer('PUT', `/api/compounds/${A}/duty`, { shifts: week }), 403, 'RIBBON_ERR_FORBIDDEN');
    expectError(await outsider('GET', `/api/compounds/${A}/duty`), 404, 'RIBBON_ERR_NOT_FOUND');
    const staffB = client(system.app, await login(system.app, cast.users.staffB.username));
    expectError(await staffB('PUT', `/api/compounds/${A}/duty`, { shifts: week }), 404, 'RIBBON_ERR_NOT_FOUND');
    const admin = client(system.app, await loginAdmin(system.app));
    expect((await admin('PUT', `/api/compounds/${A}/duty`, { shifts: week })).statusCode).toBe(200);
    const override = await staff('POST', `/api/compounds/${A}/duty/overrides`, {
      tier: 2,
      personId: week[0]?.personIds[0],
      replacementId: null,
      from: '2026-11-23T12:00',
      to: '2026-11-23T14:00',
    });
    const id = (override.json() as { id: number }).id;
    expectError(await staffB('DELETE', `/api/duty/overrides/${id}`), 404, 'RIBBON_ERR_NOT_FOUND');
    expect((await staff('DELETE', `/api/duty/overrides/${id}`)).statusCode).toBe(204);
    // Audited as who did it.
    const audit = (await admin('GET', '/api/audit')).json() as {
      items: Array<{ username: string; route: string; record: string | null }>;
    };
    expect(audit.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          username: 'staff-a',
          route: '/api/compounds/:id/duty/overrides',
          record: `duty-override:${id}`,
        }),
        expect.objectContaining({ username: 'admin', route: '/api/compounds/:id/duty', record: `compound:${A}:duty` }),
      ]),
    );
  });
});

describe('the red press’s read', () => {
  it('when onDuty’s queries are planned, then each goes through an index (no table scan)', async () => {
    const { system } = await world();
    for (const sql of Object.values(ON_DUTY_SQL)) {
      const plan = system.stores.db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...[1, 2, 0, 0].slice(0, (sql.match(/\?/g) ?? []).length))
        .map((r) => (r as { detail: string }).detail);
      expect(plan.join('\n'), sql).not.toMatch(/\bSCAN\b/);
      expect(plan.join('\n')).toMatch(/USING (INDEX|INTEGER PRIMARY KEY|PRIMARY KEY|COVERING INDEX)/);
    }
  });
});
