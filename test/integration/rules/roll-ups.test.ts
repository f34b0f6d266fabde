import { describe, expect, it, onTestFinished } from 'vitest';
import { createDailyReport, share } from '../../../server/app/daily-report.js';
import { dailyRollUps, type DailyRollUp } from '../../../server/app/daily-roll-ups.js';
import type { User } from '../../../server/app/ports.js';
import { placeFigures, type Figures, type PlaceFiguresResult } from '../../../server/app/roll-ups.js';
import type { PlaceRef } from '../../../server/app/place-tree.js';
import type { AlertKind } from '../../../server/domain/ribbon.js';
import { openDatabase, type Db } from '../../../server/store/db.js';
import { createStores, type SqliteStores } from '../../../server/store/index.js';
import { householdIn, smallDistrict } from '../../helpers/district.js';
import { captureLogs, tempDir } from '../../helpers/system.js';

// Roll-ups (issue 14, point 3) against a real SQLite file: a small district with a mix of
// presses, emergencies acknowledged within and after 60 s and 180 s, arrivals within and after
// 45 min, missed check-ins, offline and retired devices. Every place's figures must be exactly
// the sum of its children's, at every level, and the totals must be the right ones.

const ZONE = 'Asia/Shanghai';
const DAY = '2026-03-01';
const SEC = 1000;
const MIN = 60 * SEC;
const at = (local: string): number => Date.parse(`${local}+08:00`);
const NOW = at('2026-03-01T18:00:00');
const BEFORE = at('2026-02-01T00:00:00');
const YESTERDAY = at('2026-02-28T15:00:00');

const admin: User = {
  id: 1,
  username: 'admin',
  displayName: 'admin',
  role: 'admin',
  personId: null,
  compoundIds: [],
  readOnlyCompoundIds: [],
  scope: [],
  disabled: false,
};

function openStores(): { db: Db; stores: SqliteStores } {
  const db = openDatabase(tempDir());
  onTestFinished(() => {
    db.close();
  });
  return { db, stores: createStores(db) };
}

function alert(
  db: Db,
  householdId: number,
  kind: AlertKind,
  openedAt: number,
  opts: { ackAfter?: number; arriveAfter?: number; resolved?: boolean } = {},
): void {
  const acknowledgedAt = opts.ackAfter === undefined ? null : openedAt + opts.ackAfter;
  const arrivedAt = opts.arriveAfter === undefined ? null : openedAt + opts.arriveAfter;
  const resolvedAt = opts.resolved ? openedAt + 2 * 3600 * SEC : null;
  const status = resolvedAt !== null ? 'resolved' : acknowledgedAt !== null ? 'acknowledged' : 'open';
  db.prepare(
    `INSERT INTO alerts (household_id, kind, status, opened_at, updated_at, acknowledged_at, arrived_at, resolved_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(householdId, kind, status, openedAt, openedAt, acknowledgedAt, arrivedAt, resolvedAt);
}

function press(stores: SqliteStores, householdId: number, receivedAt: number, source: 'device' | 'person' = 'device') {
  stores.events.insert({
    householdId,
    source,
    deviceId: null,
    state: 'blue',
    seq: null,
    boot: null,
    deviceAt: null,
    battery: null,
    reportedBy: source === 'person' ? '李明' : null,
    note: null,
    receivedAt,
  });
}

function device(stores: SqliteStores, householdId: number, id: string, online: boolean, heardAt: number) {
  stores.devices.create(id, householdId, Buffer.alloc(32), BEFORE);
  stores.devices.setOnline(id, online, heardAt);
}

function seed() {
  const { db, stores } = openStores();
  const d = smallDistrict(stores, BEFORE);
  const h = (compound: string, room: string) => householdIn(stores, compound, room, BEFORE);
  const [a1, a2, a3] = [h('甲小区', '101'), h('甲小区', '102'), h('甲小区', '103')];
  const [b1, b2] = [h('乙小区', '101'), h('乙小区', '102')];
  const [c1, c2] = [h('丙小区', '101'), h('丙小区', '102')];
  const [d1, d2, d3] = [h('丁小区', '101'), h('丁小区', '102'), h('丁小区', '103')];
  // Registered after the day: not one of its households.
  householdIn(stores, '丁小区', '104', at('2026-03-02T08:00:00'));

  device(stores, a1, 'dev-a1', true, at('2026-03-01T09:00:00')); // working, heard today
  device(stores, a2, 'dev-a2', false, YESTERDAY); // offline; heard today by a press
  press(stores, a2, at('2026-03-01T08:00:00'));
  press(stores, a3, YESTERDAY); // no device, heard only yesterday
  device(stores, b1, 'dev-b1', true, YESTERDAY); // working, but not heard today
  device(stores, b2, 'dev-b2-old', true, YESTERDAY);
  stores.devices.retire('dev-b2-old', YESTERDAY); // retired: counts nowhere
  device(stores, b2, 'dev-b2', true, at('2026-03-01T10:00:00'));
  device(stores, c1, 'dev-c1-x', true, YESTERDAY); // two devices, one offline: working
  device(stores, c1, 'dev-c1-y', false, YESTERDAY);
  device(stores, c2, 'dev-c2', false, YESTERDAY);
  press(stores, c2, at('2026-03-01T11:00:00'), 'person'); // a volunteer's report is heard from
  device(stores, d1, 'dev-d1', true, at('2026-03-01T17:00:00'));
  press(stores, d2, at('2026-03-01T12:00:00'));
  press(stores, d2, at('2026-03-02T00:00:00')); // the next day's first instant: not today
  device(stores, d3, 'dev-d3', false, YESTERDAY);

  // Emergencies today: acknowledged after 30 s, 60 s (on the limit), 90 s, 200 s, and never;
  // reached after 20 min, 50 min, 40 min.
  alert(db, a1, 'emergency', at('2026-03-01T09:00:00'), { ackAfter: 30 * SEC, arriveAfter: 20 * MIN, resolved: true });
  alert(db, a2, 'emergency', at('2026-03-01T10:00:00'), { ackAfter: 60 * SEC, arriveAfter: 50 * MIN, resolved: true });
  alert(db, b1, 'emergency', at('2026-03-01T11:00:00'), { ackAfter: 90 * SEC, arriveAfter: 40 * MIN });
  alert(db, c1, 'emergency', at('2026-03-01T12:00:00'), { ackAfter: 200 * SEC });
  alert(db, d1, 'emergency', at('2026-03-01T13:00:00'));
  alert(db, d2, 'emergency', at('2026-02-28T23:59:59'), { ackAfter: 5 * SEC, resolved: true }); // yesterday
  alert(db, a3, 'missed_checkin', at('2026-03-01T09:00:00'));
  alert(db, c2, 'missed_checkin', at('2026-03-01T07:00:00'));
  alert(db, d3, 'missed_checkin', at('2026-03-01T08:00:00'), { resolved: true });
  alert(db, b2, 'service', at('2026-03-01T14:00:00'));
  alert(db, c2, 'device', at('2026-02-28T16:00:00')); // open since yesterday: open now, not opened today
  alert(db, d3, 'device', at('2026-03-01T06:00:00'));
  return { db, stores, d };
}

/** Every number of the figures, by path; a share by its count and denominator (its pct is derived). */
function numbers(f: unknown, prefix = ''): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of Object.entries(f as Record<string, unknown>)) {
    if (k === 'pct' || k === 'targetPct' || k === 'met') continue;
    if (typeof v === 'number') out.set(prefix + k, v);
    else if (v !== null && typeof v === 'object') for (const [kk, vv] of numbers(v, `${prefix}${k}.`)) out.set(kk, vv);
  }
  return out;
}

function sum(list: readonly unknown[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of list) for (const [k, v] of numbers(f)) out.set(k, (out.get(k) ?? 0) + v);
  return out;
}

function figuresAt(stores: SqliteStores, place: PlaceRef | null, user = admin): PlaceFiguresResult {
  const r = placeFigures(stores, user, { place, day: DAY, timeZone: ZONE, now: NOW });
  if (r === null) throw new Error(`no place ${JSON.stringify(place)}`);
  return r;
}

/** Every share's pct is the daily report's share() of its own count and denominator. */
function expectSharesConsistent(f: Figures) {
  for (const s of [
    f.coverage,
    f.heard,
    f.emergency.ackWithin60s,
    f.emergency.ackWithin180s,
    f.emergency.arrivedWithin45min,
  ])
    expect(s).toEqual(share(s.count, s.of, s.targetPct));
}

describe('roll-ups', () => {
  it('when a district has presses, answers within and after the limits, missed check-ins and offline devices, then every place is exactly the sum of its parts at every level', () => {
    const { stores, d } = seed();
    const district = figuresAt(stores, { level: 'district', id: 1 });
    // The district's totals, counted by hand from the seed.
    expect(district.place.figures).toMatchObject({
      households: 10,
      coverage: { count: 5, of: 10, pct: 50 },
      heard: { count: 6, of: 10, pct: 60 },
      devices: 9,
      devicesOffline: 4,
      openAlerts: { emergency: 3, service: 1, missed_checkin: 2, device: 2 },
      alertsOpened: { emergency: 5, service: 1, missed_checkin: 3, device: 1 },
      missedCheckins: 3,
      emergency: {
        opened: 5,
        acknowledged: 4,
        arrived: 3,
        ackWithin60s: { count: 2, of: 5, pct: 40, targetPct: 97.5, met: false },
        ackWithin180s: { count: 3, of: 5, pct: 60, targetPct: 99, met: false },
        arrivedWithin45min: { count: 2, of: 5, pct: 40 },
      },
    });

    // Walk down: district › streets › communities › compounds, each parent the sum of its children.
    let checked = 0;
    const walk = (ref: PlaceRef): Figures => {
      const r = figuresAt(stores, ref);
      expectSharesConsistent(r.place.figures);
      if (r.place.level === 'compound') return r.place.figures;
      const children = r.children.map((c) => walk({ level: c.level, id: c.id }));
      expect(r.children.map((c) => numbers(c.figures))).toEqual(children.map((c) => numbers(c)));
      // An empty place (the default community, left without compounds) is all zeros.
      const expected =
        children.length === 0 ? new Map([...numbers(r.place.figures)].map(([k]) => [k, 0])) : sum(children);
      expect(numbers(r.place.figures)).toEqual(expected);
      checked += 1;
      return r.place.figures;
    };
    walk({ level: 'district', id: 1 });
    // The district, the default street, 2 streets, the default community and 3 communities.
    expect(checked).toBe(8);

    // And across levels: district = Σ streets = Σ communities = Σ compounds.
    const at = (level: PlaceRef['level'], ids: number[]) =>
      sum(ids.map((id) => figuresAt(stores, { level, id }).place.figures));
    const whole = numbers(district.place.figures);
    expect(at('street', [d.east, d.west])).toEqual(whole);
    expect(at('community', [d.e1, d.e2, d.w1])).toEqual(whole);
    expect(at('compound', [d.a, d.b, d.c, d.d])).toEqual(whole);
    // A street's own figures, to be sure the sums are not all zeros.
    expect(figuresAt(stores, { level: 'street', id: d.west }).place.figures).toMatchObject({
      households: 3,
      heard: { count: 2, of: 3 },
      devicesOffline: 1,
      emergency: { opened: 1, ackWithin60s: { count: 0, of: 1 } },
    });
  });

  it('when a compound is opened, then its households come with their state, last word and device state', () => {
    const { stores, d } = seed();
    const r = figuresAt(stores, { level: 'compound', id: d.c });
    expect(r.path.map((p) => p.name)).toEqual(['本区', '东街道', '东二社区']);
    expect(r.children).toEqual([]);
    expect(r.households?.map((h) => [h.room, h.device, h.devices, h.devicesOnline, h.openAlerts.sort()])).toEqual([
      ['101', 'offline', 2, 1, ['emergency']],
      ['102', 'offline', 1, 0, ['device', 'missed_checkin']],
    ]);
    expect(r.households?.[1]?.lastHeardAt).toBe(new Date(at('2026-03-01T11:00:00')).toISOString());
    // Above the compound there are no households, only places.
    expect(figuresAt(stores, { level: 'community', id: d.e2 }).households).toBeNull();
  });

  it('when a user sees one street, then the district is only that street, the other street is not there, and the top place is the street', () => {
    const { stores, d } = seed();
    const user: User = { ...admin, role: 'staff', compoundIds: [d.a, d.b, d.c] };
    const top = placeFigures(stores, user, { place: null, day: DAY, timeZone: ZONE, now: NOW });
    expect(top?.place).toMatchObject({ level: 'street', id: d.east, compounds: 3 });
    const district = figuresAt(stores, { level: 'district', id: 1 }, user);
    expect(district.children.map((c) => c.name)).toEqual(['东街道']);
    expect(numbers(district.place.figures)).toEqual(numbers(top?.place.figures));
    expect(
      placeFigures(stores, user, { place: { level: 'street', id: d.west }, day: DAY, timeZone: ZONE, now: NOW }),
    ).toBeNull();
    expect(
      placeFigures(stores, user, { place: { level: 'compound', id: d.d }, day: DAY, timeZone: ZONE, now: NOW }),
    ).toBeNull();
    // Someone with no compound at all has no place, not even the district's name.
    const nobody: User = { ...admin, role: 'volunteer', compoundIds: [] };
    expect(placeFigures(stores, nobody, { place: null, day: DAY, timeZone: ZONE, now: NOW })).toBeNull();
  });

  it('when the day’s compound reports are stored, then the daily report of each community, street and the district is the sum of them', () => {
    const { stores, d } = seed();
    createDailyReport({ stores, log: captureLogs().log }).run(DAY, ZONE, NOW);
    const places = dailyRollUps(stores, admin, stores.reports.forDay(DAY));
    const of = (level: DailyRollUp['level'], id: number) => {
      const p = places.find((x) => x.level === level && x.id === id);
      if (p === undefined) throw new Error(`no ${level} ${id}`);
      return p;
    };
    const district = of('district', 1);
    expect(district.figures).toMatchObject({
      reports: 4,
      households: 10,
      checkedIn: 3,
      missedCheckins: 3,
      emergency: { opened: 5, ackWithin60s: { count: 2, of: 5, pct: 40 }, ackWithin180s: { count: 3, of: 5 } },
    });
    const compounds = [d.a, d.b, d.c, d.d].map((id) => stores.reports.get(id, DAY)?.data);
    // Only the additive figures roll up (medians and p90s of durations stay per compound): every
    // one of them is the sum of the compounds' stored reports, and of the streets'.
    const keys = [...numbers(district.figures).keys()].filter((k) => k !== 'reports');
    expect(keys).toHaveLength(28);
    const pick = (m: Map<string, number>) => new Map(keys.map((k) => [k, m.get(k) ?? 0]));
    expect(pick(numbers(district.figures))).toEqual(pick(sum(compounds)));
    expect(pick(numbers(district.figures))).toEqual(
      pick(sum([of('street', d.east).figures, of('street', d.west).figures])),
    );
    expect(pick(numbers(of('street', d.east).figures))).toEqual(
      pick(sum([of('community', d.e1).figures, of('community', d.e2).figures])),
    );
  });
});
