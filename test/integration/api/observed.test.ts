import { describe, expect, it } from 'vitest';
import { castWorld, COMPOUND_A, expectError } from '../../helpers/api.js';
import { answerers } from '../../helpers/phones.js';

// `observedAt` on a patrol report or visit (POST /api/households/:id/reports | visits): the
// moment the volunteer tapped, sent hours later from the patrol page's offline queue. The
// check-in counts at that moment and nothing moves back in time; a late red is still a red.
// A real SQLite file, app.inject() for HTTP, a manual clock.

const T0 = Date.parse('2026-11-25T09:00:00+08:00');
const MIN = 60_000;
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

type HouseholdView = {
  id: number;
  state: string | null;
  stateAt: string | null;
  lastCheckInAt: string | null;
  checkInDueAt: string | null;
};
type AlertItem = {
  id: number;
  kind: string;
  status: string;
  openedAt: string;
  reason: string | null;
  dueAt: string | null;
  reportCount: number;
};
type EventItem = { id: number; state: string; receivedAt: string; observedAt: string };

async function world() {
  const { clock, system, cast, volunteer, staff } = await castWorld(T0);
  answerers(system.stores, cast.compoundA.id, T0);
  /** A household without a device that must check in hourly (+10 min grace). */
  const hourly = async (): Promise<number> => {
    const created = await staff('POST', '/api/households', {
      name: '独居老人',
      compound: cast.compoundA.name,
      building: '2号楼',
      room: '302',
      checkin: { everySec: 3600, graceSec: 600 },
    });
    expect(created.statusCode, created.body).toBe(201);
    return (created.json() as { id: number }).id;
  };
  const household = async (id: number) => (await volunteer('GET', `/api/households/${id}`)).json() as HouseholdView;
  const alerts = async (id: number) =>
    ((await volunteer('GET', `/api/alerts?householdId=${id}`)).json() as { items: AlertItem[] }).items;
  const events = async (id: number) =>
    ((await volunteer('GET', `/api/households/${id}/events`)).json() as { items: EventItem[] }).items;
  const report = (id: number, body: Record<string, unknown>) =>
    volunteer('POST', `/api/households/${id}/reports`, body);
  return { clock, system, cast, volunteer, hourly, household, alerts, events, report };
}

describe('a report seen earlier than it is sent (observedAt)', () => {
  it('when a blue seen before a missed check-in opened arrives, then the alert stays open, and lastCheckInAt moves only forward; one seen after the alert opened clears it', async () => {
    const { clock, system, hourly, household, alerts, report } = await world();
    const id = await hourly();
    expect((await report(id, { state: 'blue' })).statusCode).toBe(201);
    expect(await household(id)).toMatchObject({
      state: 'blue',
      lastCheckInAt: iso(T0),
      checkInDueAt: iso(T0 + 70 * MIN),
    });

    clock.ms = T0 + 70 * MIN;
    system.sweepNow();
    const [missed] = await alerts(id);
    expect(missed).toMatchObject({ kind: 'missed_checkin', status: 'open', openedAt: iso(T0 + 70 * MIN) });

    // Seen before the last check-in: a check-in of the past, nothing moves back.
    clock.ms = T0 + 90 * MIN;
    const older = await report(id, { state: 'yellow', observedAt: iso(T0 - 30 * MIN) });
    expect(older.statusCode, older.body).toBe(201);
    expect(await household(id)).toMatchObject({ state: 'blue', stateAt: iso(T0), lastCheckInAt: iso(T0) });
    expect((await alerts(id)).find((a) => a.kind === 'missed_checkin')).toMatchObject({
      id: missed?.id,
      status: 'open',
    });
    // … though a yellow is a request for service all the same (see below).
    expect((await alerts(id)).find((a) => a.kind === 'service')).toMatchObject({ status: 'open' });

    // Seen at 10:00, before the alarm of 10:10: the check-in moves to 10:00 (and the next due
    // time with it), but it says nothing of the silence noticed at 10:10: the alert stays.
    const before = await report(id, { state: 'blue', observedAt: '2026-11-25T10:00:00+08:00' });
    expect(before.statusCode, before.body).toBe(201);
    expect(await household(id)).toMatchObject({
      state: 'blue',
      stateAt: iso(T0 + 60 * MIN),
      lastCheckInAt: iso(T0 + 60 * MIN),
      checkInDueAt: iso(T0 + 130 * MIN),
    });
    expect((await alerts(id)).find((a) => a.kind === 'missed_checkin')).toMatchObject({
      id: missed?.id,
      status: 'open',
    });

    // Seen at 10:20, after the alarm opened: that is the check-in it waited for.
    clock.ms = T0 + 95 * MIN;
    const after = await report(id, { state: 'blue', observedAt: '2026-11-25T02:20:00Z' });
    expect(after.statusCode, after.body).toBe(201);
    expect((await alerts(id)).find((a) => a.kind === 'missed_checkin')).toMatchObject({
      id: missed?.id,
      status: 'resolved',
    });
    expect(await household(id)).toMatchObject({
      state: 'blue',
      lastCheckInAt: iso(T0 + 80 * MIN),
      checkInDueAt: iso(T0 + 150 * MIN),
    });
  });

  it('when a red seen an hour ago arrives, then the emergency opens at once, escalates from now, and its reason says when it was seen; the ribbon is red', async () => {
    const { clock, system, hourly, household, alerts, events, report } = await world();
    const id = await hourly();
    clock.ms = T0 + 2 * 60 * MIN;
    const res = await report(id, { state: 'red', observedAt: iso(T0 + 60 * MIN), key: 'offline-red-000001' });
    expect(res.statusCode, res.body).toBe(201);
    const [emergency] = await alerts(id);
    expect(emergency).toMatchObject({
      kind: 'emergency',
      status: 'open',
      openedAt: iso(clock.ms),
      dueAt: iso(clock.ms + 60_000),
    });
    // In the household's zone (Asia/Shanghai): seen at 10:00 local.
    expect(emergency?.reason).toBe('迟报：2026-11-25 10:00 看到 / reported late: seen 2026-11-25 10:00');
    expect(await household(id)).toMatchObject({
      state: 'red',
      stateAt: iso(T0 + 60 * MIN),
      lastCheckInAt: iso(T0 + 60 * MIN),
    });
    expect((await events(id))[0]).toMatchObject({
      state: 'red',
      receivedAt: iso(clock.ms),
      observedAt: iso(T0 + 60 * MIN),
    });

    // The same report again (the queue resent it): counted once, whatever it says.
    clock.ms += MIN;
    const again = await report(id, { state: 'red', observedAt: iso(T0 + 61 * MIN), key: 'offline-red-000001' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ duplicate: true });
    expect(await alerts(id)).toEqual([expect.objectContaining({ id: emergency?.id, reportCount: 1 })]);

    // And it escalates like any red: tier 2 at 60 s after it was heard.
    clock.ms = Date.parse(emergency?.dueAt as string);
    system.sweepNow();
    expect((await alerts(id))[0]).toMatchObject({ level: 2 });
  });

  it('when a red was seen before the ribbon now shown, then the emergency opens all the same but the ribbon stays as the later report left it', async () => {
    const { clock, hourly, household, alerts, report } = await world();
    const id = await hourly();
    clock.ms = T0 + 30 * MIN;
    expect((await report(id, { state: 'blue' })).statusCode).toBe(201);
    clock.ms = T0 + 40 * MIN;
    expect((await report(id, { state: 'red', observedAt: iso(T0 + 10 * MIN) })).statusCode).toBe(201);
    expect(await alerts(id)).toEqual([
      expect.objectContaining({ kind: 'emergency', status: 'open', openedAt: iso(T0 + 40 * MIN) }),
    ]);
    expect(await household(id)).toMatchObject({
      state: 'blue',
      stateAt: iso(T0 + 30 * MIN),
      lastCheckInAt: iso(T0 + 30 * MIN),
    });
  });

  it('when observedAt is absent, or a little ahead of the server (clock skew), then it is now; within a minute of now no "late" reason is added', async () => {
    const { clock, hourly, household, alerts, events, report } = await world();
    const id = await hourly();
    expect((await report(id, { state: 'yellow' })).statusCode).toBe(201);
    clock.ms = T0 + 5 * MIN;
    expect((await report(id, { state: 'yellow', observedAt: iso(clock.ms + 60_000) })).statusCode).toBe(201);
    clock.ms = T0 + 10 * MIN;
    expect((await report(id, { state: 'yellow', observedAt: iso(clock.ms - 59_000) })).statusCode).toBe(201);
    const list = await events(id);
    expect(list.map((e) => [e.receivedAt, e.observedAt])).toEqual([
      [iso(T0 + 10 * MIN), iso(T0 + 10 * MIN - 59_000)],
      [iso(T0 + 5 * MIN), iso(T0 + 5 * MIN)],
      [iso(T0), iso(T0)],
    ]);
    expect(await household(id)).toMatchObject({ lastCheckInAt: iso(T0 + 10 * MIN - 59_000) });
    expect(await alerts(id)).toEqual([expect.objectContaining({ kind: 'service', reportCount: 3, reason: null })]);
  });

  const bad: Array<[string, unknown]> = [
    ['not a time', 'yesterday'],
    ['no zone', '2026-11-25T09:00:00'],
    ['a date only', '2026-11-25'],
    ['no such day', '2026-02-30T10:00:00Z'],
    ['no such hour', '2026-11-25T24:00:00+08:00'],
    ['an offset out of range', '2026-11-25T09:00:00+24:00'],
    ['a number', T0],
    ['empty', ''],
    ['61 s ahead', iso(T0 + 61_000)],
    ['over 7 days old', iso(T0 - 7 * DAY - 1)],
  ];

  it.each(bad)(
    'when observedAt is %s, then a report is 400 naming body.observedAt and nothing is stored',
    async (_name, observedAt) => {
      const { hourly, household, alerts, events, report } = await world();
      const id = await hourly();
      const before = await household(id);
      const error = expectError(await report(id, { state: 'red', observedAt }), 400, 'RIBBON_ERR_VALIDATION');
      expect(error.fields?.map((f) => f.path)).toEqual(['body.observedAt']);
      expect(await events(id)).toEqual([]);
      expect(await alerts(id)).toEqual([]);
      expect(await household(id)).toEqual(before);
    },
  );

  it.each(bad)(
    'when observedAt is %s, then a visit is 400 naming body.observedAt and nothing is stored',
    async (_name, observedAt) => {
      const { system, volunteer } = await world();
      const h = system.provision({ compound: COMPOUND_A });
      const error = expectError(
        await volunteer('POST', `/api/households/${h.householdId}/visits`, { seen: 'none', observedAt }),
        400,
        'RIBBON_ERR_VALIDATION',
      );
      expect(error.fields?.map((f) => f.path)).toEqual(['body.observedAt']);
      expect(
        ((await volunteer('GET', `/api/households/${h.householdId}/visits`)).json() as { items: unknown[] }).items,
      ).toEqual([]);
    },
  );

  it('when observedAt is exactly 7 days old or 60 s ahead, then it is taken', async () => {
    const { hourly, events, report } = await world();
    const id = await hourly();
    expect((await report(id, { state: 'blue', observedAt: iso(T0 - 7 * DAY) })).statusCode).toBe(201);
    expect((await report(id, { state: 'blue', observedAt: '2026-11-25T09:01:00.000+08:00' })).statusCode).toBe(201);
    expect((await events(id)).map((e) => e.observedAt)).toEqual([iso(T0), iso(T0 - 7 * DAY)]);
  });
});

describe('a visit seen earlier than it is sent (observedAt)', () => {
  it('when a visit comes from the offline queue, then its at is when the volunteer looked and receivedAt when it arrived; the list is in the order they looked', async () => {
    const { clock, system, volunteer } = await world();
    const h = system.provision({ compound: COMPOUND_A });
    clock.ms = T0 + 3 * 60 * MIN;
    for (const [key, observedAt] of [
      ['visit-later-0000001', iso(T0 + 2 * 60 * MIN)],
      ['visit-early-0000001', '2026-11-25T09:15:30.5+08:00'],
    ] as const) {
      const res = await volunteer('POST', `/api/households/${h.householdId}/visits`, { seen: 'none', key, observedAt });
      expect(res.statusCode, res.body).toBe(201);
    }
    const items = (
      (await volunteer('GET', `/api/households/${h.householdId}/visits`)).json() as {
        items: Array<{ at: string; receivedAt: string }>;
      }
    ).items;
    expect(items.map((v) => [v.at, v.receivedAt])).toEqual([
      [iso(T0 + 2 * 60 * MIN), iso(clock.ms)],
      [iso(T0 + 15 * MIN + 30_500), iso(clock.ms)],
    ]);
    // Still only an observation: no check-in.
    expect((await volunteer('GET', `/api/households/${h.householdId}`)).json()).toMatchObject({ lastCheckInAt: null });
  });
});
